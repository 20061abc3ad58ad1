"""Generate a plausible pooling region's feeds, 2020–2025, with planted anomalies and dirt.

``generate(landing, truth_path, scale, seed)`` writes every dataset of every contract under
``landing/<source>/<dataset>/<batch>/`` and a ground-truth JSON outside it: rows written,
dirty rows per dataset (the loader must quarantine exactly these), planted anomaly cases, and
key-industry coverage per county and year. The same seed gives the same files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from workcomp.generator import domain as d
from workcomp.generator import simulate
from workcomp.generator import truth as facts
from workcomp.generator.scales import SCALES
from workcomp.generator.world import World, build_employers, build_people, plant_hostile_text
from workcomp.generator.writers import Writer

END_OF_DATA = dt.date(d.END_YEAR, 12, 31)


def build_world(scale: str, seed: int) -> World:
    rng = random.Random(seed)
    world = World(SCALES[scale])
    build_employers(world, rng)
    plant_hostile_text(world)
    build_people(world, rng)
    simulate.plant_deaths(world, rng)
    simulate.injuries(world, rng, END_OF_DATA)  # may enrol a worker after an accident
    simulate.plant_headcount_swings(world, rng)
    simulate.enrolment_changes(world, rng)
    simulate.health_and_registry(world, rng, END_OF_DATA)
    income = simulate.monthly_contribution_income(world)
    simulate.prevention_and_fund(world, rng, income)
    return world


def generate(
    landing: Path,
    truth_path: Path,
    scale: str = "tiny",
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    progress(f"building the {scale} region (seed {seed})")
    world = build_world(scale, seed)
    writer = Writer(landing, seed, world.scale.dirty_rate)
    for table, rows in sorted(world.records.items()):
        progress(f"writing {table} ({len(rows):,} rows)")
        writer.write_dataset(table, rows)
    contributions = "social_insurance__contributions"
    from workcomp.contracts import all_contracts

    contract = all_contracts()[contributions]
    rng = random.Random(seed + 17)
    first = d.MONTHS - world.scale.contribution_months
    for month in range(first, d.MONTHS):
        progress(f"writing {contributions} {d.month_label(month)}")
        rows = simulate.contributions_for_month(world, month, rng)
        writer.write_batch(contract, d.month_start(month).strftime("%Y-%m"), rows, month)
    # Employers that cut their declared bases, among those with at least five contributors on
    # both sides of the cut (fewer are too small to judge an average by).
    cut = simulate.CUT_FROM_MONTH
    contributors = Counter(
        (s.employer, m) for s in world.spells for m in (cut - 1, cut) if s.insured(m)
    )
    world.truth["falling_contribution_base"] = [
        {"credit_code": e.credit_code, "from_month": d.month_label(cut)}
        for i, e in enumerate(world.employers)
        if simulate.cuts_base(i) and min(contributors[(i, cut - 1)], contributors[(i, cut)]) >= 5
    ]
    truth = {
        "scale": scale,
        "seed": seed,
        "end_of_data": END_OF_DATA.isoformat(),
        "contribution_months": [d.month_label(m) for m in range(first, d.MONTHS)],
        "datasets": {t: dict(c) for t, c in sorted(writer.stats.items())},
        "anomalies": {
            k: v
            for k, v in sorted(world.truth.items())
            if k not in ("coverage", "fund_monthly", "hostile_text")
        },
        "hostile_text": world.truth.get("hostile_text", []),
        "fund_monthly": world.truth["fund_monthly"],
        "coverage": world.truth.get("coverage", {}),
        "rates": facts.rate_truth(world),
        "groups": facts.group_truth(world),
        "accident_categories": facts.accident_category_truth(world),
        "serious_injuries": facts.serious_injury_truth(world),
        "rate_float": facts.rate_float_truth(world, range(first, d.MONTHS)),
        "training": facts.training_truth(world),
        "coverage_monthly": facts.coverage_monthly_truth(world),
        "days_to_recognition": facts.timeliness_truth(world),
        "occupational_disease_by_county": facts.occupational_disease_truth(world),
        "occupational_disease_cases": dict(
            sorted(
                Counter(
                    r["diagnosis_date"][:4] for r in world.records["health__occupational_diagnoses"]
                ).items()
            )
        ),
        "counts": {
            "employers": len(world.employers),
            "workers": len(world.workers),
            "spells": len(world.spells),
        },
    }
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth
