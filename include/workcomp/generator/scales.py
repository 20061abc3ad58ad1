"""Sizes of the generated pooling region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    workers: int  # people who are ever employed (and mostly insured) in 2020–2025
    workers_per_employer: int
    contribution_months: int  # monthly contribution files, counted back from 2025-12
    dirty_rate: float  # share of rows written dirty on purpose (bad check digit, bad date …)


SCALES = {
    # Seconds: for tests. Every year's contributions, so the fund ledger reconciles in full.
    "tiny": Scale(
        "tiny", workers=1_500, workers_per_employer=15, contribution_months=72, dirty_rate=0.01
    ),
    # About 100k insured workers: the main job's default. One year of contribution detail.
    "city": Scale(
        "city", workers=100_000, workers_per_employer=25, contribution_months=12, dirty_rate=0.002
    ),
    # About 2M insured workers and a year of monthly contributions: for benchmarks.
    "province": Scale(
        "province",
        workers=2_000_000,
        workers_per_employer=30,
        contribution_months=12,
        dirty_rate=0.001,
    ),
}
