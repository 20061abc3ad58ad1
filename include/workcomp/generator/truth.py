"""Ground truth for the marts, computed straight from the simulated world.

Each function returns plain figures (counts, sums, dates) keyed by text, written into the
truth JSON. Tests bucket and divide them by rules written from the policy texts, so nothing
here repeats the warehouse's SQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from workcomp.generator import domain as d
from workcomp.generator.simulate import declared_base
from workcomp.generator.world import CENT, World


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def rate_truth(world: World) -> dict:
    """Insured person-months and recognised injuries per year, county and GB/T 4754 division.

    Injuries count by accident year under the applying employer (as the marts do); headcount
    counts every insured month of every spell. Both straight from the simulated world.
    """
    employer_by_code = {e.credit_code: e for e in world.employers}
    months: dict[str, int] = defaultdict(int)
    for spell in world.spells:
        employer = world.employers[spell.employer]
        for month in range(spell.start, spell.end):
            if spell.insured(month):
                months[f"{d.year_of(month)}:{employer.county}:{employer.division}"] += 1
    injuries: dict[str, int] = defaultdict(int)
    for case in world.records["social_insurance__injury_recognitions"]:
        if case["conclusion"] == "不予认定":
            continue
        employer = employer_by_code[case["credit_code"]]
        injuries[f"{case['accident_date'][:4]}:{employer.county}:{employer.division}"] += 1
    december = defaultdict(int)
    for spell in world.spells:
        for year in range(d.START_YEAR, d.END_YEAR + 1):
            if spell.insured((year - d.START_YEAR) * 12 + 11):
                december[str(year)] += 1
    by_position: dict[str, int] = defaultdict(int)
    for case in world.records["social_insurance__injury_recognitions"]:
        if case["conclusion"] != "不予认定" and case["position"]:
            division = employer_by_code[case["credit_code"]].division
            by_position[f"{case['accident_date'][:4]}:{division}:{case['position']}"] += 1
    exposed: dict[str, set] = defaultdict(set)
    for row in world.records["health__dust_workers"]:
        division = employer_by_code[row["credit_code"]].division
        exposed[f"{row['_year']}:{division}:{row['position']}"].add(row["resident_id"])
    return {
        "injuries_by_position": dict(sorted(by_position.items())),
        "exposed_by_position": {k: len(v) for k, v in sorted(exposed.items())},
        "insured_person_months": dict(sorted(months.items())),
        "recognised_injuries": dict(sorted(injuries.items())),
        "insured_in_december": dict(sorted(december.items())),
    }


def group_truth(world: World) -> dict:
    """Insured person-months by year, sex and age on the first of the month, and recognised
    injuries by year, sex and age on the accident date (high-risk groups)."""
    months: dict[str, int] = defaultdict(int)
    for spell in world.spells:
        worker = world.workers[spell.worker]
        for month in range(spell.start, spell.end):
            if spell.insured(month):
                age = _age_on(worker.birth, d.month_start(month))
                months[f"{d.year_of(month)}:{worker.sex}:{age}"] += 1
    by_id = {w.resident_id: w for w in world.workers}
    injuries: dict[str, int] = defaultdict(int)
    for case in world.records["social_insurance__injury_recognitions"]:
        if case["conclusion"] == "不予认定":
            continue
        worker = by_id[case["resident_id"]]
        accident = dt.date.fromisoformat(case["accident_date"])
        injuries[f"{accident.year}:{worker.sex}:{_age_on(worker.birth, accident)}"] += 1
    return {
        "insured_person_months": dict(sorted(months.items())),
        "recognised_injuries": dict(sorted(injuries.items())),
    }


def accident_category_truth(world: World) -> dict:
    """Recognised injuries by accident year, employer division and GB 6441 category."""
    division = {e.credit_code: e.division for e in world.employers}
    out: dict[str, int] = defaultdict(int)
    for case in world.records["social_insurance__injury_recognitions"]:
        if case["conclusion"] != "不予认定" and case["accident_category"]:
            key = f"{case['accident_date'][:4]}:{division[case['credit_code']]}"
            out[f"{key}:{case['accident_category']}"] += 1
    return dict(sorted(out.items()))


def serious_injury_truth(world: World) -> dict:
    """Serious injuries in the emergency-management reports by year, county and division."""
    employer = {e.credit_code: e for e in world.employers}
    out: dict[str, int] = defaultdict(int)
    for row in world.records["emergency_management__safety_accidents"]:
        e = employer[row["credit_code"]]
        out[f"{row['occurred_at'][:4]}:{e.county}:{e.division}"] += int(row["serious_injuries"])
    return dict(sorted(out.items()))


def rate_float_truth(world: World, months: range) -> dict:
    """Per year with contribution detail and employer: contributions paid, benefits paid and
    the number of months with anyone insured (the inputs of 支缴率)."""
    paid: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    active: dict[tuple[int, str], set] = defaultdict(set)
    for spell in world.spells:
        employer = world.employers[spell.employer]
        for month in months:
            if spell.insured(month):  # as contributions_for_month writes them
                key = (d.year_of(month), employer.credit_code)
                paid[key] += (declared_base(world, spell, month) * employer.rate).quantize(CENT)
                active[key].add(month)
    benefits: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for p in world.records["social_insurance__benefit_payments"]:
        benefits[(int(p["payment_date"][:4]), p["credit_code"])] += Decimal(p["amount"])
    return {
        f"{year}:{code}": {
            "contributions_paid": str(paid[(year, code)]),
            "benefits_paid": str(benefits.get((year, code), Decimal(0))),
            "months_insured": len(active[(year, code)]),
        }
        for year, code in sorted(paid)
    }


def training_truth(world: World) -> dict:
    """Employers (county, industry code, years with anyone insured) and, per employer and
    key-position category, the first date someone passed a prevention training."""
    years: dict[str, set] = defaultdict(set)
    for spell in world.spells:
        for month in range(spell.start, spell.end):
            if spell.insured(month):
                years[world.employers[spell.employer].credit_code].add(d.year_of(month))
    first: dict[str, dict[str, str]] = defaultdict(dict)
    for row in world.records["social_insurance__prevention_training"]:
        if row["passed"] == "是":
            seen = first[row["credit_code"]].get(row["position_category"])
            if seen is None or row["training_date"] < seen:
                first[row["credit_code"]][row["position_category"]] = row["training_date"]
    return {
        "employers": {
            e.credit_code: {
                "county": e.county,
                "industry": e.industry,
                "insured_years": sorted(years[e.credit_code]),
            }
            for e in world.employers
        },
        "first_passed": {code: dict(sorted(c.items())) for code, c in sorted(first.items())},
    }


def coverage_monthly_truth(world: World) -> dict:
    """Per month, county and key industry: roster headcount of the year's dust-roster
    enterprises and their insured workers that month, capped at each roster headcount."""
    insured: dict[tuple[str, int], int] = defaultdict(int)
    for spell in world.spells:
        code = world.employers[spell.employer].credit_code
        for month in range(spell.start, spell.end):
            if spell.insured(month):
                insured[(code, month)] += 1
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in world.records["health__dust_enterprises"]:
        workers = int(row["worker_count"])
        for month in range(
            (row["_year"] - d.START_YEAR) * 12, (row["_year"] - d.START_YEAR + 1) * 12
        ):
            cell = out[f"{d.month_label(month)}:{row['region_code']}:{row['industry_category']}"]
            cell[0] += workers
            cell[1] += min(insured.get((row["credit_code"], month), 0), workers)
    return {k: {"workers_required": r, "workers_insured": i} for k, (r, i) in sorted(out.items())}


def occupational_disease_truth(world: World) -> dict:
    """Per diagnosis year and the employer's county: cases, of which insured and receiving
    benefits (the totals of 《职业病人员统计情况表》, counted by diagnosis date)."""
    county_of = {e.credit_code: e.county for e in world.employers}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in world.records["health__occupational_diagnoses"]:
        cell = out[f"{row['diagnosis_date'][:4]}:{county_of.get(row['credit_code'])}"]
        cell[0] += 1
        cell[1] += row["is_insured"] == "是"
        cell[2] += row["receives_benefits"] == "是"
    return {
        k: {"cases": n, "insured": i, "receiving_benefits": r}
        for k, (n, i, r) in sorted(out.items())
    }


def timeliness_truth(world: World) -> dict:
    """Days from accident (or diagnosis) to recognition of each recognised case, per county of
    the recognition and accident year."""
    out: dict[str, list[int]] = defaultdict(list)
    for case in world.records["social_insurance__injury_recognitions"]:
        if case["conclusion"] == "不予认定":
            continue
        accident = dt.date.fromisoformat(case["accident_date"])
        days = (dt.date.fromisoformat(case["recognition_date"]) - accident).days
        out[f"{accident.year}:{case['region_code']}"].append(days)
    return {k: sorted(v) for k, v in sorted(out.items())}
