"""Every mart family against figures worked out here from the generator's ground truth.

The truth holds raw facts of the simulated world (person-months, cases, payments, training
dates); the bands, tiers, key-industry lists and rates below are written from the policy
texts (DOMAIN.md and the seeds), not read from the warehouse's seeds or SQL.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

pytestmark = pytest.mark.e2e

AGE_BANDS = [("16-24", 16, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54),
             ("55+", 55, 200)]  # fmt: skip
STATUTORY_MONTHLY_HOURS = Decimal("166.64")  # 劳社部发〔2008〕3号: 20.83 days × 8 h
# 支缴率 → factor, the common local scheme: (above, up to] ranges.
D = Decimal
TIERS = [(D("1.5"), None, D("1.5")), (D("1.0"), D("1.5"), D("1.2")), (D("0.8"), D("1.0"), D("1.0")),
         (D("0.5"), D("0.8"), D("0.8")), (None, D("0.5"), D("0.5"))]  # fmt: skip
# 人社部发〔2015〕71号 base rates of the divisions the generator uses; 65 (software) is class 1.
BASE_RATE = {"06": "0.019", "08": "0.019", "09": "0.019", "10": "0.019", "26": "0.013",
             "30": "0.013", "31": "0.013", "32": "0.013", "47": "0.013", "48": "0.013",
             "54": "0.011", "65": "0.002"}  # fmt: skip
CLASS_ONE = {"65"}
# Key industries by GB/T 4754 code prefix: dust (seeds 000/001/002) and accident (seed 002 §二).
DUST_KEY = ("06", "08", "09", "10", "11", "12", "30", "31", "32")
ACCIDENT_KEY = {
    "危化": ("25", "26"), "矿山": ("06", "07", "08", "09", "10", "11", "12"), "冶金": ("31", "32"),
    "建筑施工": ("47", "48", "49", "50"), "交通运输": ("53", "54", "55", "56", "57", "58"),
    "机械制造": ("33", "34", "35", "36", "37", "38"),
}  # fmt: skip
KEY_POSITIONS = ("企业负责人", "安全管理负责人", "一线班组长", "接害劳动者")


def q(value, places: str) -> Decimal:
    return Decimal(value).quantize(Decimal(places), ROUND_HALF_UP)


def band(age: int) -> str:
    return next(name for name, lo, hi in AGE_BANDS if lo <= age <= hi)


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_group_rates_equal_the_truth_and_add_up_to_the_region(first_run):
    url, *_, truth = first_run
    months, injuries = defaultdict(int), defaultdict(int)
    for key, n in truth["groups"]["insured_person_months"].items():
        year, sex, age = key.split(":")
        months[(int(year), sex, band(int(age)))] += n
    for key, n in truth["groups"]["recognised_injuries"].items():
        year, sex, age = key.split(":")
        injuries[(int(year), sex, band(int(age)))] += n
    expected = {}
    for cell in set(months) | set(injuries):
        m, n = months.get(cell, 0), injuries.get(cell, 0)
        rate = q(Decimal(n * 1000 * 12) / m, "0.0001") if m else None
        expected[cell] = (q(Decimal(m) / 12, "0.01"), n, rate)
    rows = query(
        url,
        "select rate_year, sex, age_band, avg_insured_workers, recognised_injuries,"
        " injury_rate_per_mille from marts.fct_injury_rates_by_group",
    )
    assert {(y, s, b): (a, n, r) for y, s, b, a, n, r in rows} == expected
    # The groups of a year hold every insured month of the region.
    region = defaultdict(int)
    for key, n in truth["rates"]["insured_person_months"].items():
        region[int(key[:4])] += n
    by_year = defaultdict(int)
    for (year, _, _), m in months.items():
        by_year[year] += m
    assert by_year == region


def test_serious_injuries_and_hour_based_rates_equal_the_truth(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select rate_year, region_code, industry_division, serious_injuries,"
        " injuries_per_million_hours_est, accident_key_industry from marts.fct_injury_rates",
    )
    serious = {f"{y}:{c}:{d}": s for y, c, d, s, *_ in rows if s}
    assert serious == truth["serious_injuries"]
    months = truth["rates"]["insured_person_months"]
    injuries = truth["rates"]["recognised_injuries"]
    for year, county, division, _, per_hours, key_industry in rows:
        key = f"{year}:{county}:{division}"
        if months.get(key):
            hours = months[key] * STATUTORY_MONTHLY_HOURS
            assert per_hours == q(injuries.get(key, 0) * Decimal(1_000_000) / hours, "0.0001")
        want = next((k for k, codes in ACCIDENT_KEY.items() if division in codes), None)
        assert key_industry == want, division


def test_injury_types_equal_the_truth(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select injury_year, industry_division, accident_category, recognised_injuries,"
        " share_of_division from marts.fct_injuries_by_accident_category",
    )
    assert {f"{y}:{d}:{c}": n for y, d, c, n, _ in rows} == truth["accident_categories"]
    totals = defaultdict(int)
    for key, n in truth["accident_categories"].items():
        totals[key.rsplit(":", 1)[0]] += n
    for year, division, _, n, share in rows:
        assert share == q(Decimal(n) / totals[f"{year}:{division}"], "0.0001")


def expected_factor(ratio: Decimal | None, months: int, division: str) -> Decimal:
    if ratio is None or months < 12:  # insured under a year, or nothing paid in: base
        return Decimal("1.0")
    factor = next(
        f for lo, hi, f in TIERS if (lo is None or ratio > lo) and (hi is None or ratio <= hi)
    )
    return max(factor, Decimal("1.0")) if division in CLASS_ONE else factor


def test_payout_ratio_and_rate_tier_equal_the_truth(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select assessment_year, credit_code, industry_division, months_contributing,"
        " contributions_paid, benefits_paid, payout_ratio, float_factor, floated_rate"
        " from marts.fct_employer_rate_float",
    )
    got = {f"{y}:{c}": r for y, c, *r in rows}
    assert set(got) == set(truth["rate_float"])
    factors = defaultdict(int)
    for key, facts in truth["rate_float"].items():
        division, months, paid, benefits, ratio, factor, rate = got[key]
        contributions = Decimal(facts["contributions_paid"])
        want_ratio = Decimal(facts["benefits_paid"]) / contributions if contributions else None
        want_factor = expected_factor(want_ratio, facts["months_insured"], division)
        assert (months, paid, benefits) == (
            facts["months_insured"], contributions, Decimal(facts["benefits_paid"])
        ), key  # fmt: skip
        assert ratio == (q(want_ratio, "0.0001") if want_ratio is not None else None), key
        assert factor == want_factor, key
        if division in BASE_RATE:
            assert rate == q(Decimal(BASE_RATE[division]) * want_factor, "0.00001"), key
        factors[want_factor] += 1
    assert len(factors) >= 3  # the region's employers really spread over several tiers


def test_project_payment_flags_equal_the_planted_breaches(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select project_id, is_prepayment_in_range, is_balance_before_acceptance, is_compliant"
        " from marts.fct_prevention_project_payments",
    )
    planted = truth["anomalies"]
    out_of_range = {p["project_id"] for p in planted["prepayment_out_of_range"]}
    early = {p["project_id"] for p in planted["balance_before_acceptance"]}
    assert {p for p, ok, *_ in rows if not ok} == out_of_range
    assert {p for p, _, before, _ in rows if before} == early
    assert {r[0] for r in rows if not r[3]} == out_of_range | early


def test_key_position_training_equals_the_truth(first_run):
    url, *_, truth = first_run
    facts = truth["training"]
    expected = defaultdict(lambda: [0, 0])
    for code, employer in facts["employers"].items():
        industry = employer["industry"]
        is_key = industry.startswith(DUST_KEY) or any(
            industry.startswith(codes) for codes in ACCIDENT_KEY.values()
        )
        if not is_key:
            continue
        passed = facts["first_passed"].get(code, {})
        for year in employer["insured_years"]:
            for category in KEY_POSITIONS:
                cell = expected[(year, employer["county"], category)]
                cell[0] += 1
                first = passed.get(category)
                cell[1] += first is not None and dt.date.fromisoformat(first) <= dt.date(
                    year, 12, 31
                )
    rows = query(
        url,
        "select coverage_year, region_code, position_category, key_enterprises,"
        " enterprises_trained, enterprise_coverage from marts.fct_key_position_training",
    )
    assert {(y, c, p): [k, t] for y, c, p, k, t, _ in rows} == dict(expected)
    assert any(t for *_, t, _ in rows)  # somebody was trained


def test_monthly_coverage_equals_the_truth(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select to_char(coverage_month, 'YYYY-MM'), region_code, industry_category,"
        " workers_required, workers_insured, is_on_track"
        " from marts.fct_key_industry_coverage_monthly",
    )
    got = {
        f"{m}:{c}:{i}": {"workers_required": r, "workers_insured": n} for m, c, i, r, n, _ in rows
    }
    assert got == truth["coverage_monthly"]
    targets = {"2020": Decimal("0.8"), "2021": Decimal("0.9")}  # 100% from 2022 (seeds 000/001)
    for month, _, _, required, insured, on_track in rows:
        assert on_track == (insured >= targets.get(month[:4], Decimal(1)) * required)


def test_case_timeliness_equals_the_truth(first_run):
    url, *_, truth = first_run
    rows = query(
        url,
        "select accident_year, region_code, recognised_cases, median_days_to_recognition,"
        " p90_days_to_recognition from marts.fct_case_timeliness",
    )
    got = {f"{y}:{c}": (n, median, p90) for y, c, n, median, p90 in rows}
    expected = {}
    for key, days in truth["days_to_recognition"].items():
        expected[key] = (len(days), percentile(days, 0.5), percentile(days, 0.9))
    assert got == expected


def percentile(values: list[int], share: float) -> Decimal:
    """Linear interpolation between closest ranks (what percentile_cont does), to 0.1 day."""
    ordered = sorted(values)
    position = Decimal(str(share)) * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = Decimal(ordered[low]) + (Decimal(ordered[high] - ordered[low])
                                     * (position - low))  # fmt: skip
    return q(value, "0.1")
