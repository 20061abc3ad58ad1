"""What happens in the region, month by month: every record the four agencies would send.

Each function fills ``world.records[<dataset>]`` with canonical dicts and notes the anomalies
it planted in ``world.truth`` (the ground truth the audit rules must find).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from workcomp.generator import domain as d
from workcomp.generator.world import CENT, Employer, Spell, Worker, World, _name, _weighted


def _day_in(month: int, rng: random.Random, lo: int = 1, hi: int = 28) -> dt.date:
    return d.month_start(month) + dt.timedelta(days=rng.randint(lo, hi) - 1)


def _time_on(day: dt.date, rng: random.Random, hours: tuple[int, ...] = tuple(range(24))) -> str:
    return f"{day.isoformat()} {rng.choice(hours):02d}:{rng.randint(0, 59):02d}:00"


# --- enrolments, deaths, contributions -------------------------------------------------------


def plant_deaths(world: World, rng: random.Random) -> None:
    """Natural deaths; some of the dead stay insured (工亡/死亡人员未停保, seed 003 §二15)."""
    spells_of = defaultdict(list)
    for spell in world.spells:
        spells_of[spell.worker].append(spell)
    for w, worker in enumerate(world.workers):
        if rng.random() > 0.004:
            continue
        month = rng.randrange(6, d.MONTHS - 2)
        worker.death_month = month
        still_insured = rng.random() < 0.35
        for spell in spells_of[w]:
            if spell.start <= month < spell.end:
                if still_insured and spell.insured(month):
                    world.truth["deceased_still_insured"].append(
                        {"resident_id": worker.resident_id, "death_month": d.month_label(month)}
                    )
                else:
                    spell.end_at(month + 1)
            elif spell.start > month:
                spell.end_at(spell.start)  # never starts: the worker has died


SWING_MONTH = (2024 - d.START_YEAR) * 12 + 5  # June 2024


def plant_headcount_swings(world: World, rng: random.Random) -> None:
    """Some employers drop every other insured worker for one month (增减人数变动大, 003 §二3).
    Only employers with at least a dozen steady staff are picked, so the swing is unmistakable."""
    candidates = {i for i in range(len(world.employers)) if i % 89 == 7}
    steady = defaultdict(list)
    for spell in world.spells:
        if spell.employer in candidates and all(
            spell.insured(m) for m in (SWING_MONTH - 1, SWING_MONTH, SWING_MONTH + 1)
        ):
            steady[spell.employer].append(spell)
    swinging = [i for i in sorted(candidates) if len(steady[i]) >= 12]
    for i in swinging:
        for spell in steady[i][::2]:
            spell.gap_month = SWING_MONTH
    world.truth["headcount_swing"] = [
        {"credit_code": world.employers[i].credit_code, "month": d.month_label(SWING_MONTH)}
        for i in swinging
    ]


def enrolment_changes(world: World, rng: random.Random) -> None:
    out = world.records["social_insurance__enrolment_changes"]
    seen_workers: set[int] = set()
    counter = 0

    def event(spell: Spell, kind: str, month: int, reverses: str | None = None) -> str:
        nonlocal counter
        counter += 1
        worker = world.workers[spell.worker]
        change_id = f"ZG{d.month_start(month):%Y%m}{counter:09d}"
        out.append(
            {
                "change_id": change_id,
                "resident_id": worker.resident_id,
                "worker_name": worker.name,
                "sex": worker.sex,
                "credit_code": world.employers[spell.employer].credit_code,
                "change_type": kind,
                "effective_month": d.month_label(month),
                "processing_date": processed_on(spell, kind, month).isoformat(),
                "reverses_change_id": reverses,
                "reason": None,
            }
        )
        return change_id

    def processed_on(spell: Spell, kind: str, month: int) -> dt.date:
        # An enrolment is processed in the month before it takes effect, except 先伤后保: the
        # agency processed it days after the accident.
        if kind in ("参保", "增员") and month == spell.insured_from and spell.enrolled_after:
            return spell.enrolled_after + dt.timedelta(days=rng.randint(1, 10))
        if kind in ("参保", "增员"):
            return d.month_start(month) - dt.timedelta(days=rng.randint(3, 25))
        return _day_in(month, rng)

    repeaters = set(rng.sample(range(len(world.employers)), k=max(1, len(world.employers) // 200)))
    for spell in sorted(world.spells, key=lambda s: s.insured_from or 0):
        if spell.insured_from is None:
            continue
        kind = "增员" if spell.worker in seen_workers else "参保"
        seen_workers.add(spell.worker)
        # Enrol-then-withdraw in the same month (当月先参保后回退), before the real enrolment.
        withdraw_months = []
        chance = 0.3 if spell.employer in repeaters else 0.01
        if spell.insured_from > spell.start and rng.random() < chance:
            withdraw_months.append(rng.randrange(spell.start, spell.insured_from))
            if spell.employer in repeaters and spell.insured_from - spell.start > 2:
                withdraw_months.append(rng.randrange(spell.start, spell.insured_from))
        for month in sorted(set(withdraw_months)):
            first = event(spell, "增员", month)
            event(spell, "增员回退", month, reverses=first)
            world.truth["enrol_then_withdraw"].append(
                {
                    "resident_id": world.workers[spell.worker].resident_id,
                    "credit_code": world.employers[spell.employer].credit_code,
                    "month": d.month_label(month),
                }
            )
        event(spell, kind, spell.insured_from)
        if spell.gap_month is not None:
            event(spell, "减员", spell.gap_month)
            event(spell, "增员", spell.gap_month + 1)
        until = spell.insured_until or spell.end
        if until < d.MONTHS:
            event(spell, "减员", until)


CUT_FROM_MONTH = d.MONTHS - 6


def cuts_base(employer_index: int) -> bool:
    """Employers that declare 40% lower bases from mid-2025 (缴费基数水平下降多, seed 003 §二3)."""
    return employer_index % 97 == 13


def declared_base(world: World, spell: Spell, month: int) -> Decimal:
    base = world.base(spell, month)
    if month >= CUT_FROM_MONTH and cuts_base(spell.employer):
        base = (base * Decimal("0.6")).quantize(Decimal("1"))
    return base


def contributions_for_month(world: World, month: int, rng: random.Random) -> list[dict]:
    """Contribution rows of one period, generated on demand (the largest feed)."""
    rows = []
    label = d.month_start(month).strftime("%Y%m")
    paid_on = _day_in(month, rng, 10, 25).isoformat()
    for spell in world.spells:
        if not spell.insured(month):
            continue
        employer = world.employers[spell.employer]
        base = declared_base(world, spell, month)
        due = (base * employer.rate).quantize(CENT)
        rows.append(
            {
                "resident_id": world.workers[spell.worker].resident_id,
                "credit_code": employer.credit_code,
                "period": label,
                "contribution_base": str(base),
                "rate": str(employer.rate),
                "amount_due": str(due),
                "amount_paid": str(due),
                "paid_date": paid_on,
            }
        )
    return rows


def monthly_contribution_income(world: World) -> list[Decimal]:
    """征缴收入 per month over 2020–2025, the sum of what contributions_for_month would pay."""
    income = [Decimal(0)] * d.MONTHS
    for spell in world.spells:
        if spell.insured_from is None:
            continue
        rate = world.employers[spell.employer].rate
        for month in range(spell.insured_from, spell.insured_until or spell.end):
            income[month] += (declared_base(world, spell, month) * rate).quantize(CENT)
    return income


# --- injuries and everything that follows -----------------------------------------------------


class Cases:
    """Numbering for case, assessment, payment and accident ids."""

    def __init__(self):
        self.n = defaultdict(int)

    def next(self, prefix: str, day: dt.date) -> str:
        self.n[prefix] += 1
        return f"{prefix}{day:%Y}{self.n[prefix]:07d}"


def _fatality_rate(group: str) -> float:
    return {"mining": 0.03, "construction": 0.02, "transport": 0.02}.get(group, 0.005)


def injuries(world: World, rng: random.Random, end_of_data: dt.date) -> None:
    """Work injuries, recognitions, assessments, benefits, accidents and traffic records."""
    cases = Cases()
    for spell in world.spells:
        employer = world.employers[spell.employer]
        group = d.division_group(employer.division)
        worker = world.workers[spell.worker]
        for year in range(d.START_YEAR, d.END_YEAR + 1):
            lo, hi = (
                max(spell.start, (year - d.START_YEAR) * 12),
                min(spell.end, (year - d.START_YEAR + 1) * 12),
            )
            if hi <= lo:
                continue
            rate = employer.injury_rate * (1 + employer.injury_trend) ** (year - d.START_YEAR)
            if rng.random() >= rate / 1000 * (hi - lo) / 12:
                continue
            month = rng.randrange(lo, hi)
            if worker.death_month is not None and month >= worker.death_month:
                continue
            accident = _day_in(month, rng)
            first = _one_injury(world, rng, cases, spell, month, accident, group, end_of_data)
            if rng.random() < 0.01:  # a second claim within weeks (repeat claims)
                again = accident + dt.timedelta(days=rng.randint(10, 60))
                again_month = (again.year - d.START_YEAR) * 12 + again.month - 1
                if again_month < spell.end and again < end_of_data:
                    case = _one_injury(
                        world, rng, cases, spell, again_month, again, group, end_of_data
                    )
                    if case and first:
                        world.truth["repeat_claims"].append(
                            {"resident_id": worker.resident_id, "case_id": case}
                        )
    _non_work_traffic(world, rng, cases)
    _death_records(world, rng)


def _one_injury(world, rng, cases, spell, month, accident, group, end_of_data) -> str | None:
    worker = world.workers[spell.worker]
    employer = world.employers[spell.employer]
    category = _weighted(rng, d.ACCIDENT_CATEGORIES[group])
    fatal = rng.random() < _fatality_rate(group)
    insured = spell.insured(month)
    if not insured:
        if rng.random() >= 0.2:
            return None  # uninsured and never claimed: the employer pays, the fund never knows
        # 先伤后保: enrolled right after the accident, then a claim on the fund.
        spell.insured_from = month
        spell.insured_until = None
        spell.enrolled_after = accident
    recognised_on = accident + dt.timedelta(days=rng.randint(25, 120))
    if recognised_on > end_of_data:
        return None  # still being processed
    if not insured:
        world.truth["injured_before_enrolment"].append(
            {"resident_id": worker.resident_id, "accident_date": accident.isoformat()}
        )
    case_id = cases.next("RD", recognised_on)
    applicant = employer.credit_code
    if rng.random() < 0.005:  # a different employer applies (参保单位与申报单位不一致)
        applicant = rng.choice(world.employers).credit_code
        if applicant != employer.credit_code:
            world.truth["employer_mismatch"].append({"case_id": case_id})
    name = worker.name
    if rng.random() < 0.003:  # someone else's name on the claim (冒名顶替)
        name = _name(rng)
        if name != worker.name:
            world.truth["identity_mismatch"].append({"case_id": case_id})
    conclusion = (
        "认定工伤" if rng.random() < 0.94 else ("视同工伤" if rng.random() < 0.3 else "不予认定")
    )
    world.records["social_insurance__injury_recognitions"].append(
        {
            "case_id": case_id,
            "resident_id": worker.resident_id,
            "worker_name": name,
            "sex": worker.sex,
            "credit_code": applicant,
            "region_code": employer.county,
            "accident_date": accident.isoformat(),
            "recognition_date": recognised_on.isoformat(),
            "accident_category": category,
            "position": spell.position,
            "is_occupational_disease": "否",
            "disease": None,
            "conclusion": conclusion,
        }
    )
    if conclusion == "不予认定":
        return case_id
    wage = world.base(spell, month)
    claim = Claim(world, cases, case_id, worker, employer, end_of_data)
    claim.pay(
        "医疗费",
        Decimal(int(rng.lognormvariate(9.4, 0.8))),
        recognised_on + dt.timedelta(days=rng.randint(20, 90)),
    )
    if fatal:
        died = accident
        world.truth["work_deaths"].append({"resident_id": worker.resident_id, "case_id": case_id})
        worker.death_month, worker.death_day = month, died
        spell.end_at(month + 1)
        for later in world.later_spells(spell):  # a job the worker would have taken later
            later.end_at(later.start)
        income = d.URBAN_DISPOSABLE_INCOME[died.year - 1]
        paid = recognised_on + dt.timedelta(days=rng.randint(10, 40))
        claim.pay("一次性工亡补助金", Decimal(20 * income), paid)
        avg = d.REGION_AVG_MONTHLY_WAGE[died.year]
        claim.pay("丧葬补助金", Decimal(6 * avg), paid)
    elif rng.random() < 0.45:
        _assess(claim, rng, recognised_on, wage)
    _safety_accident(world, rng, cases, employer, accident, category, fatal, group)
    if category == "02" and group != "transport" and rng.random() < 0.6:
        liability = _weighted(
            rng, {"次要责任": 4, "无责任": 4, "同等责任": 2, "主要责任": 0.6, "全部责任": 0.2}
        )
        if liability in ("主要责任", "全部责任"):
            world.truth["commuting_main_fault"].append({"case_id": case_id})
        world.records["public_security__traffic_accidents"].append(
            {
                "accident_id": cases.next("JT", accident),
                "occurred_at": _time_on(accident, rng, (7, 8, 17, 18)),
                "region_code": employer.county,
                "resident_id": worker.resident_id,
                "person_name": worker.name,
                "liability": liability,
            }
        )
    return case_id


def _assess(claim: Claim, rng: random.Random, recognised_on: dt.date, wage: Decimal) -> None:
    world, cases, case_id, worker = claim.world, claim.cases, claim.case_id, claim.worker
    day = recognised_on + dt.timedelta(days=rng.randint(90, 300))
    if day > claim.end_of_data:
        return
    grade = _weighted(rng, d.GRADE_WEIGHTS)
    care = {1: "完全生活自理障碍", 2: "大部分生活自理障碍", 3: "部分生活自理障碍"}.get(grade, "无")
    world.records["social_insurance__disability_assessments"].append(
        {
            "assessment_id": cases.next("JD", day),
            "case_id": case_id,
            "resident_id": worker.resident_id,
            "assessment_date": day.isoformat(),
            "disability_grade": str(grade),
            "care_level": care,
        }
    )
    months = d.DISABILITY_SUBSIDY_MONTHS[grade]
    paid = day + dt.timedelta(days=rng.randint(15, 60))
    claim.pay("一次性伤残补助金", wage * months, paid)
    if grade >= 5 and rng.random() < 0.35:  # leaves the job: one-time medical subsidy
        paid = paid + dt.timedelta(days=rng.randint(30, 200))
        avg = d.REGION_AVG_MONTHLY_WAGE[min(paid.year, d.END_YEAR)]
        months = d.MEDICAL_SUBSIDY_MONTHS[grade]
        five_years_before = d.add_months(d.retirement_date(worker.birth, worker.sex), -60)
        paid_out = claim.pay("一次性工伤医疗补助金", Decimal(avg * months), paid)
        if paid_out and paid >= five_years_before:
            world.truth["medical_subsidy_near_retirement"].append(
                {"case_id": case_id, "resident_id": worker.resident_id}
            )


@dataclass
class Claim:
    """One recognised case: where its payments go and until when they can happen."""

    world: World
    cases: Cases
    case_id: str
    worker: Worker
    employer: Employer
    end_of_data: dt.date

    def pay(self, item: str, amount: Decimal, day: dt.date) -> bool:
        """Record a benefit payment; False when it would fall after the data ends."""
        if day > self.end_of_data:
            return False
        self.world.records["social_insurance__benefit_payments"].append(
            {
                "payment_id": self.cases.next("ZF", day),
                "case_id": self.case_id,
                "resident_id": self.worker.resident_id,
                "credit_code": self.employer.credit_code,
                "item": item,
                "amount": str(Decimal(amount).quantize(CENT)),
                "payment_date": day.isoformat(),
            }
        )
        return True


def _safety_accident(world, rng, cases, employer, accident, category, fatal, group) -> None:
    if group == "other" or not (fatal or rng.random() < 0.3):
        return
    world.records["emergency_management__safety_accidents"].append(
        {
            "accident_id": cases.next("AQ", accident),
            "occurred_at": _time_on(accident, rng),
            "region_code": employer.county,
            "credit_code": employer.credit_code,
            "enterprise_name": employer.name,
            "industry_code": employer.industry,
            "accident_category": category,
            "deaths": "1" if fatal else "0",
            "serious_injuries": "0" if fatal else "1",
            "minor_injuries": str(rng.randint(0, 2)),
            "direct_loss": str(Decimal(rng.randint(5, 400)) / 10),
        }
    )


def _non_work_traffic(world: World, rng: random.Random, cases: Cases) -> None:
    for worker in rng.sample(world.workers, k=max(1, len(world.workers) // 300)):
        day = _day_in(rng.randrange(0, d.MONTHS), rng)
        world.records["public_security__traffic_accidents"].append(
            {
                "accident_id": cases.next("JT", day),
                "occurred_at": _time_on(day, rng),
                "region_code": rng.choice(d.COUNTIES),
                "resident_id": worker.resident_id,
                "person_name": worker.name,
                "liability": _weighted(
                    rng, {"全部责任": 1, "主要责任": 2, "同等责任": 2, "次要责任": 2, "无责任": 3}
                ),
            }
        )


def _death_records(world: World, rng: random.Random) -> None:
    for worker in world.workers:
        if worker.death_month is None:
            continue
        died = worker.death_day or _day_in(worker.death_month, rng)
        world.records["public_security__death_records"].append(
            {
                "resident_id": worker.resident_id,
                "person_name": worker.name,
                "sex": worker.sex,
                "death_date": died.isoformat(),
                "cancellation_date": (died + dt.timedelta(days=rng.randint(5, 60))).isoformat(),
            }
        )


# --- health department, employer registry, hazard monitoring ----------------------------------

ROSTER_MONTH = 9  # reported in October (seed 001: by 10 October)


def _employed_at(world: World, month: int) -> dict[int, list[Spell]]:
    by_employer = defaultdict(list)
    for spell in world.spells:
        if spell.start <= month < spell.end:
            by_employer[spell.employer].append(spell)
    return by_employer


def health_and_registry(world: World, rng: random.Random, end_of_data: dt.date) -> None:
    """Rosters, dust-exposed workers, exams, diagnoses, registry snapshots; coverage truth."""
    rec = world.records
    for year in range(d.START_YEAR, d.END_YEAR + 1):
        october = (year - d.START_YEAR) * 12 + ROSTER_MONTH
        december = october + 2
        report_date = dt.date(year, 10, 9)
        at_october = _employed_at(world, october)
        at_december = _employed_at(world, december)
        for e_ix, employer in enumerate(world.employers):
            insured = sum(s.insured(december) for s in at_december.get(e_ix, []))
            if insured:
                rec["social_insurance__employers"].append(
                    {
                        "credit_code": employer.credit_code,
                        "employer_name": employer.name,
                        "region_code": employer.county,
                        "industry_code": employer.industry,
                        "insured_count": str(insured),
                        "snapshot_date": f"{year}-12-31",
                        "_year": year,
                    }
                )
            if employer.dust_category is None:
                continue
            staff = at_october.get(e_ix, [])
            if not staff:
                continue
            rec["health__dust_enterprises"].append(
                {
                    "industry_category": employer.dust_category,
                    "enterprise_name": employer.name,
                    "credit_code": employer.credit_code,
                    "region_code": employer.county,
                    "address": world.addresses.get(
                        employer.credit_code, f"内蒙古巴彦淖尔市{employer.county}工业园区"
                    ),
                    "worker_count": str(len(staff)),
                    "contact_person": _name(rng),
                    "contact_phone": f"0478-{rng.randint(1000000, 9999999)}",
                    "remarks": None,
                    "report_date": report_date.isoformat(),
                    "_year": year,
                }
            )
            key = (year, employer.county)
            truth = world.truth.setdefault("coverage", {}).setdefault(key, [0, 0])
            truth[0] += len(staff)
            truth[1] += min(insured, len(staff))
            hazard, disease = d.DUST_BY_CATEGORY[employer.dust_category]
            for spell in staff:
                worker = world.workers[spell.worker]
                rec["health__dust_workers"].append(
                    {
                        "credit_code": employer.credit_code,
                        "enterprise_name": employer.name,
                        "worker_name": worker.name,
                        "resident_id": worker.resident_id,
                        "sex": worker.sex,
                        "position": spell.position,
                        "hazard": hazard,
                        "exposure_start_date": d.month_start(spell.start).isoformat(),
                        "report_date": report_date.isoformat(),
                        "_year": year,
                    }
                )
                exam_day = _day_in(october - rng.randint(0, 8), rng)
                _exam(
                    world,
                    rng,
                    worker,
                    employer,
                    "在岗" if spell.start < october - 8 else "岗前",
                    exam_day,
                    hazard,
                )
                if rng.random() < 0.0035 and report_date <= end_of_data:
                    _diagnosis(world, rng, worker, employer, spell, disease, october, end_of_data)
            for position in rng.sample(
                sorted({s.position for s in staff}), k=min(2, len({s.position for s in staff}))
            ):
                limit = Decimal("1.0") if hazard == "矽尘" else Decimal("4.0")
                measured = (
                    limit * Decimal(str(round(rng.lognormvariate(-0.3, 0.45), 3)))
                ).quantize(Decimal("0.001"))
                monitoring = rec["emergency_management__hazard_monitoring"]
                monitoring.append(
                    {
                        "record_id": f"JC{year}{len(monitoring) + 1:07d}",
                        "credit_code": employer.credit_code,
                        "monitoring_date": _day_in(october - rng.randint(1, 6), rng).isoformat(),
                        "hazard": hazard,
                        "position": position,
                        "measured_value": str(measured),
                        "limit_value": str(limit),
                        "unit": "mg/m³",
                    }
                )
    world.truth["coverage"] = {
        f"{year}:{county}": {"workers_required": req, "workers_insured": ins}
        for (year, county), (req, ins) in sorted(world.truth["coverage"].items())
    }


def _exam(world, rng, worker, employer, kind, day, hazard) -> None:
    rec = world.records["health__health_exams"]
    conclusion = _weighted(
        rng, {"目前未见异常": 90, "复查": 5, "其他疾病或异常": 4, "职业禁忌证": 1}
    )
    rec.append(
        {
            "exam_id": f"TJ{day:%Y}{len(rec) + 1:08d}",
            "resident_id": worker.resident_id,
            "worker_name": worker.name,
            "credit_code": employer.credit_code,
            "exam_type": kind,
            "exam_date": day.isoformat(),
            "hazard": hazard,
            "conclusion": conclusion,
            "institution": "巴彦淖尔市职业病防治院",
        }
    )


def _diagnosis(world, rng, worker, employer, spell, disease, month, end_of_data) -> None:
    diagnosed = _day_in(month, rng)
    insured = spell.insured(month)
    recognised = assessed = None
    if insured:
        recognised = diagnosed + dt.timedelta(days=rng.randint(40, 200))
        recognised = recognised if recognised <= end_of_data else None
    if recognised:
        assessed = recognised + dt.timedelta(days=rng.randint(60, 240))
        assessed = assessed if assessed <= end_of_data else None
        case_id = (
            f"RDZY{recognised:%Y}{len(world.records['health__occupational_diagnoses']) + 1:06d}"
        )
        world.records["social_insurance__injury_recognitions"].append(
            {
                "case_id": case_id,
                "resident_id": worker.resident_id,
                "worker_name": worker.name,
                "sex": worker.sex,
                "credit_code": employer.credit_code,
                "region_code": employer.county,
                "accident_date": diagnosed.isoformat(),
                "recognition_date": recognised.isoformat(),
                "accident_category": None,
                "position": spell.position,
                "is_occupational_disease": "是",
                "disease": disease,
                "conclusion": "认定工伤",
            }
        )
    else:
        world.truth[
            "pneumoconiosis_uninsured" if not insured else "diagnosis_not_recognised"
        ].append({"resident_id": worker.resident_id, "diagnosis_date": diagnosed.isoformat()})
    world.records["health__occupational_diagnoses"].append(
        {
            "worker_name": worker.name,
            "sex": worker.sex,
            "resident_id": worker.resident_id,
            "employer_name": employer.name,
            "credit_code": employer.credit_code,
            "disease": disease,
            "diagnosis_date": diagnosed.isoformat(),
            "recognition_date": recognised.isoformat() if recognised else None,
            "assessment_date": assessed.isoformat() if assessed else None,
            "is_insured": "是" if insured else "否",
            "receives_benefits": "是" if recognised else "否",
            "remarks": None,
            "report_date": dt.date(diagnosed.year, 10, 9).isoformat(),
            "_year": diagnosed.year,
        }
    )


# --- prevention fee and the fund ledger --------------------------------------------------------


def prevention_and_fund(world: World, rng: random.Random, income: list[Decimal]) -> None:
    rec = world.records
    spend = [Decimal(0)] * d.MONTHS
    key_staff = [
        s
        for s in world.spells
        if world.employers[s.employer].dust_category
        or d.division_group(world.employers[s.employer].division) != "other"
    ]
    n = 0
    for year in range(d.START_YEAR + 1, d.END_YEAR + 1):
        previous = sum(income[(year - 1 - d.START_YEAR) * 12 : (year - d.START_YEAR) * 12])
        budget = (previous * Decimal("0.02")).quantize(CENT)
        if year == 2023:  # one year over the 3% cap (seed 002 §四(三)1)
            budget = (previous * Decimal("0.034")).quantize(CENT)
            world.truth["prevention_over_cap"].append({"year": year})
        shares = [("培训", Decimal("0.45")), ("培训", Decimal("0.30")), ("宣传", Decimal("0.25"))]
        for kind, share in shares:
            n += 1
            project_id = f"YF{year}{n:04d}"
            amount = (budget * share).quantize(CENT)
            # Signed in spring, accepted and paid off within the year (a yearly budget).
            signed = dt.date(year, rng.randint(2, 3), rng.randint(1, 28))
            ratio = Decimal(rng.randint(30, 70)) / 100
            if n == 2:  # prepayment above 70% of the contract (seed 002 §四(三)2)
                ratio = Decimal("0.80")
                world.truth["prepayment_out_of_range"].append({"project_id": project_id})
            prepaid_on = signed + dt.timedelta(days=rng.randint(5, 30))
            accepted_on = signed + dt.timedelta(days=rng.randint(150, 200))
            balance_on = accepted_on + dt.timedelta(days=rng.randint(10, 40))
            if n == 4:  # balance paid before acceptance
                balance_on = accepted_on - dt.timedelta(days=20)
                world.truth["balance_before_acceptance"].append({"project_id": project_id})
            prepaid = (amount * ratio).quantize(CENT)
            end = d.month_start(d.MONTHS - 1).replace(day=31)
            accepted = accepted_on <= end
            paid_off = balance_on <= end
            rec["social_insurance__prevention_projects"].append(
                {
                    "project_id": project_id,
                    "region_code": d.POOLING_REGION,
                    "project_name": f"{year}年度工伤预防{kind}项目{n}",
                    "project_type": kind,
                    "contractor": f"巴彦淖尔市{rng.choice(d.NAME_PARTS)}安全培训中心",
                    "contract_amount": str(amount),
                    "contract_date": signed.isoformat(),
                    "prepayment_amount": str(prepaid),
                    "prepayment_date": prepaid_on.isoformat(),
                    "acceptance_date": accepted_on.isoformat() if accepted else None,
                    "acceptance_result": "合格" if accepted else "未验收",
                    "balance_amount": str(amount - prepaid) if paid_off else None,
                    "balance_date": balance_on.isoformat() if paid_off else None,
                }
            )
            payments = [(prepaid_on, prepaid)] + [(balance_on, amount - prepaid)] * paid_off
            for day, value in payments:
                spend[(day.year - d.START_YEAR) * 12 + day.month - 1] += value
            if kind == "培训" and key_staff:
                for spell in rng.sample(
                    key_staff, k=min(len(key_staff), max(5, len(key_staff) // 40))
                ):
                    worker = world.workers[spell.worker]
                    trained = signed + dt.timedelta(days=rng.randint(30, 170))
                    training = rec["social_insurance__prevention_training"]
                    training.append(
                        {
                            "record_id": f"PX{year}{len(training) + 1:07d}",
                            "project_id": project_id,
                            "resident_id": worker.resident_id,
                            "trainee_name": worker.name,
                            "credit_code": world.employers[spell.employer].credit_code,
                            "position_category": _weighted(
                                rng,
                                {
                                    "企业负责人": 1,
                                    "安全管理负责人": 1,
                                    "一线班组长": 3,
                                    "接害劳动者": 12,
                                },
                            ),
                            "training_date": trained.isoformat(),
                            "passed": "是" if rng.random() < 0.93 else "否",
                        }
                    )
    benefits = [Decimal(0)] * d.MONTHS
    for p in rec["social_insurance__benefit_payments"]:
        day = dt.date.fromisoformat(p["payment_date"])
        benefits[(day.year - d.START_YEAR) * 12 + day.month - 1] += Decimal(p["amount"])
    world.truth["fund_monthly"] = {
        d.month_label(m): {
            "contribution_income": str(income[m].quantize(CENT)),
            "benefit_expenditure": str(benefits[m].quantize(CENT)),
            "prevention_expenditure": str(spend[m].quantize(CENT)),
        }
        for m in range(d.MONTHS)
    }
    balance = (sum(income[:12]) * 2).quantize(CENT)
    broken = rng.randrange(12, d.MONTHS)
    for month in range(d.MONTHS):
        interest = (balance * Decimal("0.0015")).quantize(CENT)
        closing = balance + income[month] + interest - benefits[month] - spend[month]
        reported_closing = closing + (Decimal("12345.67") if month == broken else 0)
        if month == broken:
            world.truth["fund_ledger_break"].append({"month": d.month_label(month)})
        for item, amount in (
            ("期初结余", balance),
            ("征缴收入", income[month]),
            ("利息收入", interest),
            ("工伤保险待遇支出", benefits[month]),
            ("工伤预防费支出", spend[month]),
            ("期末结余", reported_closing),
        ):
            rec["social_insurance__fund_ledger"].append(
                {
                    "region_code": d.POOLING_REGION,
                    "month": d.month_start(month).strftime("%Y%m"),
                    "item": item,
                    "amount": str(amount.quantize(CENT)),
                }
            )
        balance = closing
