"""A synthetic pooling region: employers, workers, employment spells and everything that
follows from them (enrolments, contributions, injuries, diagnoses, benefits, accidents, the
fund). Records are plain dicts keyed by the contracts' canonical column names; ``writers``
turns them into the files agencies send. Planted anomalies are listed in ``truth``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum.cn import ric

from workcomp.codes import credit_code
from workcomp.generator import domain as d
from workcomp.generator.scales import Scale

CENT = Decimal("0.01")


@dataclass
class Employer:
    credit_code: str
    name: str
    county: str
    industry: str
    dust_category: str | None
    rate: Decimal
    injury_rate: float
    injury_trend: float

    @property
    def division(self) -> str:
        return self.industry[:2]


@dataclass
class Worker:
    resident_id: str
    name: str
    sex: str
    birth: dt.date
    wage_factor: float
    death_month: int | None = None
    death_day: dt.date | None = None


@dataclass
class Spell:
    worker: int
    employer: int
    start: int  # month index
    end: int  # exclusive; MONTHS when still employed at the end of 2025
    insured_from: int | None  # month index enrolment takes effect; None = never insured
    position: str
    insured_until: int | None = None  # exclusive; defaults to end
    gap_month: int | None = None  # removed for one month and added back (headcount swing)
    enrolled_after: dt.date | None = None  # 先伤后保: enrolment processed after this accident

    def end_at(self, end: int) -> None:
        """Employment ends earlier (death): an enrolment planned after that never happens."""
        self.end = min(self.end, end)
        if self.insured_from is not None and self.insured_from >= self.end:
            self.insured_from = None

    def insured(self, month: int) -> bool:
        if self.insured_from is None or month == self.gap_month:
            return False
        return self.insured_from <= month < (self.insured_until or self.end)


@dataclass
class World:
    scale: Scale
    employers: list[Employer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    spells: list[Spell] = field(default_factory=list)
    records: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    truth: dict = field(default_factory=lambda: defaultdict(list))
    # Addresses agencies typed by hand; others are derived from the county.
    addresses: dict[str, str] = field(default_factory=dict)

    def later_spells(self, spell: Spell) -> list[Spell]:
        """The same worker's spells that start after this one."""
        if not hasattr(self, "_spells_by_worker"):
            self._spells_by_worker = defaultdict(list)
            for s in self.spells:
                self._spells_by_worker[s.worker].append(s)
        return [s for s in self._spells_by_worker[spell.worker] if s.start > spell.start]

    def base(self, spell: Spell, month: int) -> Decimal:
        """Contribution base: own wage clamped to 60–300% of the regional average wage."""
        avg = d.REGION_AVG_MONTHLY_WAGE[d.year_of(month)]
        wage = avg * self.workers[spell.worker].wage_factor
        return Decimal(min(max(wage, 0.6 * avg), 3.0 * avg)).quantize(Decimal("1"))


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(d.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(d.SURNAMES) + given


def resident_id(rng: random.Random, birth: dt.date, sex: str) -> str:
    county = rng.choice(d.COUNTIES[1:])  # counties that existed under these codes before 2003
    seq = rng.randrange(0, 1000)
    if (seq % 2 == 1) != (sex == "男"):
        seq = (seq + 1) % 1000
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def build_employers(world: World, rng: random.Random) -> None:
    n = max(world.scale.workers // world.scale.workers_per_employer, 30)
    industries = list(d.INDUSTRIES)
    weights = [d.INDUSTRIES[i][1] for i in industries]
    for i in range(n):
        industry = rng.choices(industries, weights=weights)[0]
        category, _, rate, trend = d.INDUSTRIES[industry]
        county = rng.choices(d.COUNTIES, weights=d.COUNTY_WEIGHTS)[0]
        base = Decimal(d.BASE_RATE_BY_DIVISION.get(industry[:2], "0.004"))
        tier = rng.choice((Decimal("0.8"), Decimal("1.0"), Decimal("1.0"), Decimal("1.2")))
        if base == Decimal("0.002"):  # class 1 floats up only (人社部发〔2015〕71号)
            tier = max(tier, Decimal("1.0"))
        word = d.INDUSTRY_WORDS.get(industry[:2], "实业")
        name = f"巴彦淖尔市{rng.choice(d.NAME_PARTS)}{word}有限公司{i + 1:05d}"
        world.employers.append(
            Employer(
                credit_code(rng, county),
                name,
                county,
                industry,
                category,
                (base * tier).quantize(Decimal("0.0001")),
                rate,
                trend,
            )
        )


# Text an agency may send in a name or address: spreadsheet formulas, HTML and SQL. It must
# reach every report unharmed and inert (escaped in HTML, text in XLSX).
HOSTILE_NAMES = (
    '=HYPERLINK("http://evil.example/x","点击领取补贴")有限公司',
    '<script>alert("xss")</script><img src=x onerror=alert(1)>有限公司',
    "+cmd|' /C calc'!A0 有限公司'; drop table raw.batches; --",
)
HOSTILE_ADDRESS = "@SUM(1+1)*cmd|' /C calc'!A0 <b>工业园区</b> 1=1; --"


def plant_hostile_text(world: World) -> None:
    """Give the first dust-industry employers hostile names and one a hostile address (no
    random draw, so the rest of the world is unchanged); the truth lists them."""
    dusty = [e for e in world.employers if e.dust_category is not None][: len(HOSTILE_NAMES)]
    for employer, name in zip(dusty, HOSTILE_NAMES, strict=False):
        employer.name = name
        world.truth["hostile_text"].append(
            {"credit_code": employer.credit_code, "field": "name", "text": name}
        )
    if dusty:
        world.addresses[dusty[0].credit_code] = HOSTILE_ADDRESS
        world.truth["hostile_text"].append(
            {"credit_code": dusty[0].credit_code, "field": "address", "text": HOSTILE_ADDRESS}
        )


def _insured_from(rng: random.Random, employer: Employer, start: int) -> int | None:
    """Key dust industries start the plan under-insured and catch up 2020–2022."""
    if employer.dust_category is None:
        return start if rng.random() < 0.96 else None
    lag = 10 if employer.county == d.LAGGING_COUNTY else 0
    if rng.random() < (0.55 if lag else 0.72):
        return start
    catch_up = start + rng.randint(3, 30) + lag  # enrolled by the expansion campaign
    return catch_up if rng.random() < (0.80 if lag else 0.97) else None


def build_people(world: World, rng: random.Random) -> None:
    by_size = list(range(len(world.employers)))
    for _ in range(world.scale.workers):
        sex = "男" if rng.random() < 0.68 else "女"
        age_2020 = rng.randint(18, 58 if sex == "男" else 48)
        birth = dt.date(2020 - age_2020, rng.randint(1, 12), rng.randint(1, 28))
        factor = max(0.4, rng.lognormvariate(0, 0.45))
        world.workers.append(Worker(resident_id(rng, birth, sex), _name(rng), sex, birth, factor))
        w = len(world.workers) - 1
        start = 0 if rng.random() < 0.6 else rng.randrange(0, d.MONTHS - 1)
        for _spell in range(2):
            employer_ix = rng.choice(by_size)
            employer = world.employers[employer_ix]
            end = d.MONTHS if rng.random() < 0.7 else min(d.MONTHS, start + rng.randint(6, 48))
            positions = d.POSITIONS.get(employer.division, d.OTHER_POSITIONS)
            spell = Spell(
                w,
                employer_ix,
                start,
                end,
                _insured_from(rng, employer, start),
                rng.choice(positions),
            )
            if spell.insured_from is not None and spell.insured_from >= end:
                spell.insured_from = None
            world.spells.append(spell)
            if end >= d.MONTHS - 1:
                break
            start = end + rng.randint(0, 3)
            if start >= d.MONTHS - 1:
                break
