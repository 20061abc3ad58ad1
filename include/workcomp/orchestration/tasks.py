"""What the DAG tasks do. Kept out of the DAG files so those stay thin and quick to parse."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from workcomp import settings
from workcomp.contracts import all_contracts
from workcomp.warehouse.connection import AIRFLOW_CONN_ID, database_url

log = logging.getLogger(__name__)


class DataQualityError(Exception):
    """A critical expectation failed: the data is wrong, so retrying will not help."""


def warehouse_url() -> str:
    """The warehouse as Airflow knows it (the workcomp_warehouse connection), else the default."""
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(AIRFLOW_CONN_ID)
    except Exception:  # no Airflow connection configured: the project's own default
        return database_url()
    return (
        f"postgresql://{conn.login}:{conn.password}@{conn.host}:{conn.port or 5432}/"
        f"{conn.schema or 'workcomp'}"
    )


def datasets_of(source: str) -> list[str]:
    return [c.dataset for c in all_contracts().values() if c.source == source]


def batches_waiting(source: str, dataset: str, until: str | None = None) -> list[str]:
    """The batches of a dataset (up to the month ``until``) not yet complete, each with why:
    what the ingest DAG's sensor waits on."""
    from workcomp.ingest.batch_readiness import incomplete_batches

    contract = all_contracts()[f"{source}__{dataset}"]
    waiting = incomplete_batches(settings.landing_dir(), contract, until)
    return [f"{batch.name}: {reason}" for batch, reason in waiting]


def ingest(source: str, dataset: str, until: str | None = None) -> list[dict]:
    """Load every complete batch waiting in landing/<source>/<dataset>/ for periods up to
    ``until`` (the run's month: a backfill of a past month loads what that month had); fail if
    any batch failed. A batch that is already loaded with the same content is skipped; one that
    is still arriving is left for the next run."""
    from workcomp.ingest.batch_readiness import incomplete_reason
    from workcomp.ingest.loader import BatchFailed, bootstrap, load_batch, pending_batches
    from workcomp.warehouse.connection import connect

    contract = all_contracts()[f"{source}__{dataset}"]
    results, failures = [], []
    with connect(warehouse_url(), autocommit=True) as conn:
        bootstrap(conn)
        for batch_dir in pending_batches(settings.landing_dir(), contract, until):
            reason = incomplete_reason(batch_dir, contract)
            if reason is not None:
                log.warning("%s: not complete, left for the next run: %s", batch_dir, reason)
                continue
            try:
                result = load_batch(conn, contract, batch_dir)
            except BatchFailed as exc:
                log.error("%s", exc)
                failures.append(str(exc))
                continue
            log.info(
                "%s: %s (read %d, loaded %d, quarantined %d)", result.batch_id, result.status,
                result.rows_read, result.rows_loaded, result.rows_quarantined,
            )  # fmt: skip
            results.append(asdict(result))
    if failures:
        raise RuntimeError("; ".join(failures))
    return results


def validate(suite_names: list[str], schemas: dict[str, str] | None = None,
             batches: list[str] | None = None) -> list[dict]:  # fmt: skip
    """Run GX suites; a failed critical suite raises, a failed warning suite only logs.
    ``batches``: only those batches' rows of the raw tables (see suites.run_suites)."""
    results = run_and_log(suite_names, schemas, batches)
    critical = [
        f"{r['suite']} ({'; '.join(r['failed'])})"
        for r in results
        if not r["success"] and r["severity"] == "critical"
    ]
    if critical:
        raise DataQualityError("critical expectations failed: " + " | ".join(critical))
    return results


def run_and_log(suite_names: list[str], schemas: dict[str, str] | None = None,
                batches: list[str] | None = None) -> list[dict]:  # fmt: skip
    """Run GX suites and log each outcome; return them all, failed or not."""
    from workcomp.quality.suites import all_suite_names, data_docs_index, run_suites

    known = set(all_suite_names())
    for name in suite_names:
        if name not in known:
            log.warning("no Great Expectations suite %s yet: nothing to validate", name)
    suite_names = [n for n in suite_names if n in known]
    if not suite_names:
        return []
    results = run_suites(suite_names, warehouse_url(), schemas=schemas, batches=batches)
    for r in results:
        line = f"{r.suite}: {'passed' if r.success else 'FAILED'} ({r.evaluated} expectations)"
        if r.success:
            log.info(line)
        else:
            log.error("%s; failed: %s", line, "; ".join(r.failed))
    log.info("Data Docs: %s", data_docs_index())
    return [asdict(r) for r in results]


def validate_schemas(schemas: list[str]) -> list[dict]:
    """Every suite over the tables of these schemas."""
    from workcomp.quality.suites import suites_for_schema

    return validate([name for schema in schemas for name in suites_for_schema(schema)])


def validate_build() -> dict[str, str]:
    """Validate the unpublished build (marts_build, audit_build) with the marts' and audit
    suites. Returns the relations a critical failure holds back, with the reason; warnings
    are logged only."""
    from workcomp.quality.suites import load_spec, suites_for_schema
    from workcomp.warehouse.connection import connect
    from workcomp.warehouse.publish import BUILD_SUFFIX, PUBLISHED_SCHEMAS, build_schema

    with connect(warehouse_url()) as conn:
        built = {
            f"{schema.removesuffix(BUILD_SUFFIX)}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_schema = any(%s)",
                [[build_schema(s) for s in PUBLISHED_SCHEMAS]],
            ).fetchall()
        }
    names = []
    for schema in PUBLISHED_SCHEMAS:
        for name in suites_for_schema(schema):
            spec = load_spec(name)
            if f"{spec.schema}.{spec.table}" in built:
                names.append(name)
            else:  # nothing built, so nothing will be published over the last good copy
                log.warning("%s: %s.%s was not built; not validated", name, schema, spec.table)
    results = run_and_log(names, {s: build_schema(s) for s in PUBLISHED_SCHEMAS})
    held_back: dict[str, str] = {}
    for r in results:
        if not r["success"] and r["severity"] == "critical":
            spec = load_spec(r["suite"])
            reason = f"suite {r['suite']} failed: {'; '.join(r['failed'])}"
            relation = f"{spec.schema}.{spec.table}"
            held_back[relation] = "; ".join(filter(None, [held_back.get(relation), reason]))
    return held_back


def publish(held_back: dict[str, str]) -> dict:
    """Publish what passed; the relations held back keep their last good published copy."""
    from workcomp.warehouse.connection import connect
    from workcomp.warehouse.publish import publish as publish_build

    with connect(warehouse_url(), autocommit=True) as conn:
        result = publish_build(conn, held_back)
    return asdict(result)


def fail_if_held_back(held_back: dict[str, str]) -> None:
    if held_back:
        raise DataQualityError(
            "not published (the last good copy stays in place): "
            + " | ".join(f"{relation}: {why}" for relation, why in sorted(held_back.items()))
        )


def anomaly_report() -> dict:
    """The anomaly report for the whole pooling region, as HTML and XLSX."""
    from workcomp.audit.commands import write_default_report

    html, xlsx = write_default_report(warehouse_url())
    log.info("anomaly report: %s and %s", html, xlsx)
    return {"html": str(html), "xlsx": str(xlsx)}


def run_month(logical_date: dt.datetime | None) -> str | None:
    """The month a run stands for ("2024-06"), from its logical date; None: everything."""
    return None if logical_date is None else f"{logical_date:%Y-%m}"


def monthly_reports(logical_date: dt.datetime | None) -> dict:
    """The bulletin and forms for the month before the run's date (at most the last month
    with data)."""
    from workcomp.reporting.commands import write_reports

    wanted = None
    if logical_date is not None:
        wanted = (logical_date.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    outputs = write_reports(warehouse_url(), wanted)
    log.info("bulletin %s: %s (%s)", outputs.month, outputs.bulletin_html, outputs.pdf_note)
    for form in outputs.forms:
        log.info("form: %s", form)
    return outputs.record()
