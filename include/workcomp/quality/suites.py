"""Run the Great Expectations suites kept in ``expectations/suites`` against the warehouse.

GX is imported inside the functions: it takes seconds to import and logs a great deal, which
must not happen while Airflow parses DAG files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from workcomp import settings
from workcomp.codelists import seed_values
from workcomp.warehouse.connection import database_url

DATASOURCE = "warehouse"
URL_ENV = "WORKCOMP_GX_DATABASE_URL"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    description: str
    schema: str
    table: str
    expectations: tuple[dict, ...]
    severity: str = "critical"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: tuple[str, ...]
    severity: str


def suite_path(name: str) -> Path:
    return settings.EXPECTATIONS_DIR / "suites" / f"{name}.yml"


@cache
def load_spec(name: str) -> SuiteSpec:
    spec = yaml.safe_load(suite_path(name).read_text(encoding="utf-8"))
    return SuiteSpec(
        name=spec["suite"],
        description=spec.get("description", ""),
        schema=spec["table"]["schema"],
        table=spec["table"]["name"],
        expectations=tuple(spec["expectations"]),
        severity=spec.get("severity", "critical"),
    )


def all_suite_names() -> list[str]:
    return sorted(p.stem for p in (settings.EXPECTATIONS_DIR / "suites").glob("*.yml"))


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def build_expectation(entry: dict):
    """One YAML entry -> a GX expectation object."""
    import great_expectations.expectations as gxe

    ((kind, kwargs),) = entry.items()
    kwargs = dict(kwargs)
    if kind == "unexpected_rows":
        return gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=kwargs["query"],
            description=" ".join(kwargs["description"].split()),
        )
    value_set = kwargs.get("value_set")
    if isinstance(value_set, dict):  # the allowed values live in a dbt seed
        kwargs["value_set"] = sorted(seed_values(value_set["seed"], value_set["column"]))
    cls = getattr(gxe, "Expect" + _camel(kind.removeprefix("expect_")), None)
    if cls is None:
        raise ValueError(f"unknown expectation {kind!r}")
    return cls(**kwargs)


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    root = settings.gx_root()
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _sqlalchemy_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def run_suites(names: list[str], url: str | None = None) -> list[SuiteResult]:
    """Validate each named suite's table; results go to Data Docs. Returns one result each."""
    from great_expectations import Checkpoint, ExpectationSuite, ValidationDefinition
    from great_expectations.checkpoint import UpdateDataDocsAction

    os.environ[URL_ENV] = _sqlalchemy_url(url or database_url())
    context = _context()
    # The config holds only the variable's name, so no password is written to disk.
    datasource = context.data_sources.add_or_update_postgres(
        name=DATASOURCE, connection_string="${" + URL_ENV + "}"
    )
    results = []
    for name in names:
        spec = load_spec(name)
        try:
            asset = datasource.get_asset(name)
        except LookupError:
            asset = datasource.add_table_asset(
                name=name, table_name=spec.table, schema_name=spec.schema
            )
        try:
            batch_definition = asset.get_batch_definition("whole_table")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
        suite = ExpectationSuite(
            name=name, expectations=[build_expectation(e) for e in spec.expectations]
        )
        suite = context.suites.add_or_update(suite)
        validation = context.validation_definitions.add_or_update(
            ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            Checkpoint(
                name=name,
                validation_definitions=[validation],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "SUMMARY"},
            )
        )
        outcome = checkpoint.run()
        failed, evaluated = [], 0
        for run_result in outcome.run_results.values():
            for r in run_result.results:
                evaluated += 1
                if not r.success:
                    cfg = r.expectation_config
                    failed.append(
                        f"{cfg.type} {cfg.kwargs.get('column') or cfg.description or ''}".strip()
                    )
        results.append(SuiteResult(name, outcome.success, evaluated, tuple(failed), spec.severity))
    return results


def data_docs_index() -> Path:
    return settings.gx_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
