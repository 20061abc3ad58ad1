"""Code lists shared by validation and dbt: the dbt seeds are the single copy."""

from __future__ import annotations

import csv
from functools import cache

from workcomp.settings import DBT_PROJECT_DIR


@cache
def seed_values(seed: str, column: str) -> frozenset[str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{seed}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return frozenset(row[column] for row in csv.DictReader(fh))


def known_region_codes() -> frozenset[str]:
    return seed_values("ref_regions", "region_code")
