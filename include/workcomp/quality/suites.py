"""Run the Great Expectations suites kept in ``expectations/suites`` against the warehouse.

GX is imported inside the functions: it takes seconds to import and logs a great deal, which
must not happen while Airflow parses DAG files.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from workcomp import settings
from workcomp.codelists import seed_values
from workcomp.ingest.lineage import files_of_batches
from workcomp.warehouse.connection import database_url

DATASOURCE = "warehouse"
# The delivered batches' rows, as query assets. GX copies each such batch into a temporary
# table first: without one it learns the query's columns by running the query itself and
# fetching every row to the client (1.2 GiB for 2M rows; 8.5 GiB for a province's backfill of
# contributions). Whole-table assets stay on DATASOURCE, which never copies.
BATCH_DATASOURCE = "warehouse_batches"
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
def _all_specs() -> dict[str, dict]:
    """Suites written by hand in expectations/suites (marts, audit) and those derived from the
    feed contracts (every raw dataset); a hand-written file of the same name wins."""
    from workcomp.quality.contract_suites import contract_suites

    specs = contract_suites()
    for path in sorted((settings.EXPECTATIONS_DIR / "suites").glob("*.yml")):
        specs[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return specs


def load_spec(name: str) -> SuiteSpec:
    spec = _all_specs()[name]
    return SuiteSpec(
        name=spec["suite"],
        description=spec.get("description", ""),
        schema=spec["table"]["schema"],
        table=spec["table"]["name"],
        expectations=tuple(spec["expectations"]),
        severity=spec.get("severity", "critical"),
    )


def all_suite_names() -> list[str]:
    return sorted(_all_specs())


def suites_for_schema(schema: str) -> list[str]:
    return [n for n in all_suite_names() if load_spec(n).schema == schema]


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


def _scoped(entry: dict, in_scope: str) -> dict:
    """An unexpected-rows entry whose query names the batches in scope, limited to ``in_scope``."""
    from workcomp.quality.contract_suites import BATCH_SCOPE

    ((kind, kwargs),) = entry.items()
    if kind != "unexpected_rows" or BATCH_SCOPE not in kwargs["query"]:
        return entry
    return {kind: {**kwargs, "query": kwargs["query"].replace(BATCH_SCOPE, in_scope)}}


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


def _sql_text_array(values: list[str]) -> str:
    """A text[] literal; batch ids carry agencies' folder names, so quotes are doubled."""
    return "array[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _table_asset(datasource, name: str, table: str, schema: str):
    try:
        return datasource.get_asset(name)
    except LookupError:
        return datasource.add_table_asset(name=name, table_name=table, schema_name=schema)


def _batch_asset(context, datasource, table: str, suite: str, batches: str):
    """A query asset over the rows of ``batches`` (a text[] literal) in a raw table, made anew.

    GX cannot read back a stored checkpoint or validation definition whose asset is gone (the
    datasource is re-registered on every run, without its query assets), so the last run's
    are removed from their stores by key, unread, before the asset is made again."""
    for store in (context.checkpoint_store, context.validation_definition_store):
        key = store.get_key(name=suite)
        if store.has_key(key):
            store.remove_key(key)
    name = f"{table} (delivered batches)"
    if any(asset.name == name for asset in datasource.assets):
        datasource.delete_asset(name)
    return datasource.add_query_asset(
        name=name, query=f"select * from {table} where _file_id = any({files_of_batches(batches)})"
    )


def run_suites(
    names: list[str],
    url: str | None = None,
    run_id: str | None = None,
    schemas: dict[str, str] | None = None,
    batches: list[str] | None = None,
) -> list[SuiteResult]:
    """Validate each named suite's table; results go to Data Docs and, one row per
    expectation, to audit.quality_results. Returns one result per suite.

    ``schemas`` redirects a suite to another schema, e.g. {"marts": "marts_build"} to
    validate a build before it is published. ``batches`` limits the raw suites to the rows of
    those batches (what an ingest run just loaded): a month's validation then costs the month,
    not every row loaded before it, which the loader and the last validation already checked.
    """
    from great_expectations import Checkpoint, ExpectationSuite, ValidationDefinition

    os.environ[URL_ENV] = _sqlalchemy_url(url or database_url())
    context = _context()
    # The config holds only the variable's name, so no password is written to disk.
    datasource = context.data_sources.add_or_update_postgres(
        name=DATASOURCE, connection_string="${" + URL_ENV + "}"
    )
    batch_datasource = None
    if batches is not None:
        batch_datasource = context.data_sources.add_or_update_postgres(
            name=BATCH_DATASOURCE, connection_string="${" + URL_ENV + "}", create_temp_table=True
        )
    results = []
    stored: list[tuple] = []
    run_at = dt.datetime.now(dt.UTC)
    run_id = run_id or f"quality-{run_at:%Y%m%dT%H%M%S%f}"
    for name in names:
        spec = load_spec(name)
        schema = (schemas or {}).get(spec.schema, spec.schema)
        table = f"{schema}.{spec.table}"
        entries, gx_name = spec.expectations, name
        if batches is not None and spec.schema == "raw":
            gx_name = f"{name} (delivered batches)"  # GX objects of their own beside the full run's
            listed = _sql_text_array(batches)
            in_scope = f"b.batch_id = any({listed})"
            entries = tuple(_scoped(e, in_scope) for e in entries)
            asset = _batch_asset(context, batch_datasource, table, gx_name, listed)
        else:
            asset = _table_asset(datasource, table, spec.table, schema)
        try:
            batch_definition = asset.get_batch_definition("whole_table")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
        suite = ExpectationSuite(
            name=gx_name, expectations=[build_expectation(e) for e in entries]
        )
        suite = context.suites.add_or_update(suite)
        validation = context.validation_definitions.add_or_update(
            ValidationDefinition(name=gx_name, data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            Checkpoint(
                name=gx_name,
                validation_definitions=[validation],
                actions=[],
                result_format={"result_format": "SUMMARY"},
            )
        )
        outcome = checkpoint.run()
        failed, evaluated = [], 0
        for run_result in outcome.run_results.values():
            for r in run_result.results:
                evaluated += 1
                cfg = r.expectation_config
                column = cfg.kwargs.get("column")
                if not r.success:
                    failed.append(f"{cfg.type} {column or cfg.description or ''}".strip())
                counts = r.result or {}
                stored.append((
                    run_id, run_at, name, spec.severity, cfg.type, column, cfg.description,
                    bool(r.success), counts.get("unexpected_count"), counts.get("element_count"),
                    table,
                ))  # fmt: skip
        results.append(SuiteResult(name, outcome.success, evaluated, tuple(failed), spec.severity))
    store_results(url or database_url(), stored)
    context.build_data_docs()  # once for the whole run, not once per suite
    return results


def store_results(url: str, rows: list[tuple]) -> None:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        conn.cursor().executemany(
            "insert into audit.quality_results (run_id, run_at, suite, severity, expectation,"
            " column_name, description, success, unexpected_count, element_count,"
            " validated_table) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def data_docs_index() -> Path:
    return settings.gx_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
