"""Recall and precision of each anomaly rule against the generator's planted cases.

Each rule's cases and the planted truth are reduced to the same identity (a case id, a
person key and date, an employer and month …); recall is the share of planted cases the rule
flags, precision the share of flagged cases that were planted. Person keys of the planted
resident IDs come from the warehouse's own salted hash, so no ID number is compared in clear.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleScore:
    rule_code: str
    planted: int
    flagged: int
    found: int
    deterministic: bool

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.found / self.flagged if self.flagged else None


# Rules whose case is identified by its reference (case id, project id, year or month).
BY_REFERENCE = {
    "employer_mismatch", "medical_subsidy_near_retirement", "identity_mismatch", "repeat_claims",
    "commuting_main_fault", "prevention_fee_over_cap", "prevention_fee_under_floor",
    "training_share_short", "prepayment_out_of_range", "balance_before_acceptance",
    "fund_ledger_break", "enrolled_days_before_injury", "claims_above_industry_norm",
}  # fmt: skip


def _flagged_identity(rule: str, person: str, credit: str, month: dt.date, ref: str, ev: dict):
    if rule in BY_REFERENCE:
        return ref
    if rule == "enrol_then_withdraw":
        return f"{person}|{credit}|{month:%Y-%m}"
    if rule == "repeat_withdraw_employer":
        return f"{person}|{credit}"
    if rule == "deceased_still_insured":
        return person
    if rule == "injured_before_enrolment":
        return f"{person}|{ev['accident_date']}"
    if rule in ("headcount_swing", "falling_contribution_base"):
        return f"{credit}|{month:%Y-%m}"
    if rule in ("uninsured_pneumoconiosis", "diagnosis_not_recognised"):
        return f"{person}|{ev['diagnosis_date']}"
    raise KeyError(f"no identity for rule {rule}")


def planted_cases(truth: dict, person_key, as_of: dt.date, recognition_days: int) -> dict:
    """The planted cases per rule, as identities comparable with the flagged ones."""
    a = truth["anomalies"]

    def get(name):
        return a.get(name, [])

    withdrawals = Counter((p["resident_id"], p["credit_code"]) for p in get("enrol_then_withdraw"))
    cutoff = as_of - dt.timedelta(days=recognition_days)
    return {
        "enrol_then_withdraw": {
            f"{person_key(p['resident_id'])}|{p['credit_code']}|{p['month']}"
            for p in get("enrol_then_withdraw")
        },
        "repeat_withdraw_employer": {
            f"{person_key(r)}|{c}" for (r, c), n in withdrawals.items() if n >= 2
        },
        "employer_mismatch": {p["case_id"] for p in get("employer_mismatch")},
        "deceased_still_insured": {
            person_key(p["resident_id"]) for p in get("deceased_still_insured")
        },
        "injured_before_enrolment": {
            f"{person_key(p['resident_id'])}|{p['accident_date']}"
            for p in get("injured_before_enrolment")
        },
        "headcount_swing": {f"{p['credit_code']}|{p['month']}" for p in get("headcount_swing")},
        "falling_contribution_base": {
            f"{p['credit_code']}|{p['from_month']}" for p in get("falling_contribution_base")
        },
        "medical_subsidy_near_retirement": {
            p["case_id"] for p in get("medical_subsidy_near_retirement")
        },
        "identity_mismatch": {p["case_id"] for p in get("identity_mismatch")},
        "repeat_claims": {p["case_id"] for p in get("repeat_claims")},
        "commuting_main_fault": {p["case_id"] for p in get("commuting_main_fault")},
        "uninsured_pneumoconiosis": {
            f"{person_key(p['resident_id'])}|{p['diagnosis_date']}"
            for p in get("pneumoconiosis_uninsured")
        },
        "diagnosis_not_recognised": {
            f"{person_key(p['resident_id'])}|{p['diagnosis_date']}"
            for p in get("diagnosis_not_recognised")
            if dt.date.fromisoformat(p["diagnosis_date"]) < cutoff
        },
        "prevention_fee_over_cap": {str(p["year"]) for p in get("prevention_over_cap")},
        "prevention_fee_under_floor": set(),
        "training_share_short": set(),
        "prepayment_out_of_range": {p["project_id"] for p in get("prepayment_out_of_range")},
        "balance_before_acceptance": {p["project_id"] for p in get("balance_before_acceptance")},
        "fund_ledger_break": {p["month"] for p in get("fund_ledger_break")},
    }


def dbt_vars() -> dict:
    import yaml

    from workcomp import settings

    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"]


def evaluate(url: str, truth: dict, as_of: dt.date | None = None) -> list[RuleScore]:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        rules = conn.execute(
            "select rule_code, is_deterministic from reference.ref_anomaly_rules order by 1"
        ).fetchall()
        rows = conn.execute(
            "select rule_code, person_key, credit_code, period_month, reference_id, evidence"
            " from audit.fct_anomaly_cases"
        ).fetchall()
        ids = sorted(
            {p["resident_id"] for cases in truth["anomalies"].values() for p in cases
             if isinstance(p, dict) and "resident_id" in p}
        )  # fmt: skip
        keys = dict(
            conn.execute(
                "select id, util.person_key(id) from unnest(%s::text[]) as id", (ids,)
            ).fetchall()
        )
    flagged: dict[str, set] = {}
    for rule, person, credit, month, ref, evidence in rows:
        identity = _flagged_identity(rule, person, credit, month, ref, evidence)
        flagged.setdefault(rule, set()).add(identity)
    days = int(dbt_vars()["diagnosis_recognition_max_days"])
    planted = planted_cases(truth, keys.__getitem__, as_of or dt.date.today(), days)
    scores = []
    for rule, deterministic in rules:
        got, want = flagged.get(rule, set()), planted.get(rule)
        if want is None:  # a screening rule with no planted truth: counted, not scored
            scores.append(RuleScore(rule, 0, len(got), 0, False))
            continue
        scores.append(RuleScore(rule, len(want), len(got), len(got & want), deterministic))
    return scores
