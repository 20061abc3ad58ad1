"""Feed contracts: what each agency dataset looks like, read from the YAML files here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CONTRACTS_DIR = Path(__file__).resolve().parent
COLUMN_TYPES = {
    "text", "integer", "decimal", "date", "datetime", "month", "boolean",
    "uscc", "resident_id", "region_code", "industry_code", "code",
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    headers: tuple[str, ...] = ()
    label: str = ""
    type: str = "text"
    required: bool = False
    pii: bool = False
    min: float | None = None
    max: float | None = None
    scale: int = 2  # decimal places kept for a decimal (rates need 4, measurements 3)
    code_list: dict | None = None
    description: str = ""


@dataclass(frozen=True)
class Contract:
    source: str
    dataset: str
    title: str
    format: str
    columns: tuple[Column, ...]
    form_fields: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    checks: tuple[dict, ...] = ()
    description: str = ""
    cadence: str = ""
    # When a delivered batch is complete and may be loaded: "manifest" (the sender writes
    # manifest.json last) or "quiet" (nothing in the folder changed for quiet_seconds).
    complete_when: str = "quiet"
    quiet_seconds: int = 60
    # The month column of a large monthly feed: raw keeps a block-range index on it, so the
    # incremental dbt models can read one month without scanning every month ever loaded.
    month_column: str | None = None
    path: Path = field(default=Path(), compare=False)

    @property
    def table(self) -> str:
        """Name of the raw table, ``raw.<source>__<dataset>``."""
        return f"{self.source}__{self.dataset}"

    @property
    def all_fields(self) -> tuple[Column, ...]:
        return self.columns + self.form_fields


def _column(spec: dict) -> Column:
    spec = dict(spec)
    spec["headers"] = tuple(spec.get("headers", ()))
    column = Column(**spec)
    if column.type not in COLUMN_TYPES:
        raise ValueError(f"column {column.name}: unknown type {column.type!r}")
    return column


COMPLETION_RULES = ("manifest", "quiet")


def _completion_rule(rule: str, path: Path) -> str:
    if rule not in COMPLETION_RULES:
        raise ValueError(f"{path.name}: complete_when is one of {COMPLETION_RULES}, not {rule!r}")
    return rule


def _load(path: Path) -> Contract:
    # libyaml's loader when present: the DAG files read every contract at each parse.
    spec = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    contract = Contract(
        source=spec["source"],
        dataset=spec["dataset"],
        title=spec["title"],
        format=spec["format"],
        description=spec.get("description", "").strip(),
        cadence=spec.get("cadence", ""),
        complete_when=_completion_rule(spec.get("complete_when", "quiet"), path),
        quiet_seconds=int(spec.get("quiet_seconds", 60)),
        primary_key=tuple(spec.get("primary_key", ())),
        columns=tuple(_column(c) for c in spec["columns"]),
        form_fields=tuple(_column(c) for c in spec.get("form_fields", ())),
        checks=tuple(spec.get("checks", ())),
        month_column=spec.get("month_column"),
        path=path,
    )
    if contract.month_column and contract.month_column not in {
        c.name for c in contract.columns if c.type == "month"
    }:
        raise ValueError(f"{path.name}: month_column {contract.month_column!r} is no month column")
    return contract


@cache
def all_contracts() -> dict[str, Contract]:
    """Every contract, keyed by ``<source>__<dataset>``."""
    contracts = (_load(p) for p in sorted(CONTRACTS_DIR.glob("*/*.yml")))
    return {c.table: c for c in contracts}


def get_contract(source: str, dataset: str) -> Contract:
    try:
        return all_contracts()[f"{source}__{dataset}"]
    except KeyError:
        raise KeyError(f"no contract for {source}/{dataset}") from None
