"""Cross-field rules a row must keep, declared per contract under ``checks:``.

* ``sex_matches_id``: the 性别 column agrees with the sex digit of the resident ID;
* ``not_before``: a date is not earlier than another in the same row (e.g. recognition is
  not before the accident).
"""

from __future__ import annotations

from workcomp.ingest.values import sex_of_resident_id


def _sex_matches_id(row: dict[str, str | None], check: dict) -> str | None:
    number, sex = row.get(check["id"]), row.get(check["sex"])
    if number and sex and sex_of_resident_id(number) != sex:
        return f"{check['sex']}:sex_id_mismatch: 性别 {sex} disagrees with the ID's sex digit"
    return None


def _not_before(row: dict[str, str | None], check: dict) -> str | None:
    later, earlier = row.get(check["column"]), row.get(check["reference"])
    # ISO dates and datetimes compare correctly as text once their date parts are cut alike.
    if later and earlier and later[:10] < earlier[:10]:
        return (
            f"{check['column']}:before_{check['reference']}: {later[:10]} is before "
            f"{check['reference']} {earlier[:10]}"
        )
    return None


RULES = {"sex_matches_id": _sex_matches_id, "not_before": _not_before}


def row_problems(checks: tuple[dict, ...], row: dict[str, str | None]) -> list[str]:
    problems = []
    for check in checks:
        problem = RULES[check["rule"]](row, check)
        if problem:
            problems.append(problem)
    return problems
