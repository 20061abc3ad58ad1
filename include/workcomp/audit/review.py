"""Review decisions on anomaly cases (疑点核查). Decisions go to ``audit.case_reviews``, a table
dbt never builds, so a case keeps its status across rebuilds: the case key is a hash of the
rule and the case's natural key, the same on every build."""

from __future__ import annotations

import getpass

STATUSES = ("confirmed", "dismissed", "referred")


class UnknownCase(LookupError):
    pass


def record_review(url: str, case_key: str, status: str, note: str = "", reviewer: str = "") -> None:
    """Record a decision on one case; the latest decision is the case's status."""
    from workcomp.warehouse.connection import connect

    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    with connect(url) as conn:
        found = conn.execute(
            "select 1 from audit.fct_anomaly_cases where case_key = %s", (case_key,)
        ).fetchone()
        if not found:
            raise UnknownCase(f"no anomaly case with key {case_key}")
        conn.execute(
            "insert into audit.case_reviews (case_key, status, note, reviewer)"
            " values (%s, %s, %s, %s)",
            (case_key, status, note or None, reviewer or getpass.getuser()),
        )
