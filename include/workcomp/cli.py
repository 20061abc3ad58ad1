"""workcomp command line: the warehouse, the main job, and the pieces it is made of."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import click
from rich.table import Table

from workcomp import settings
from workcomp.audit.commands import audit, default_report_paths
from workcomp.benchmark.commands import benchmark
from workcomp.orchestration.environment import (
    airflow_environment,
    dbt_environment,
    with_environment,
)
from workcomp.reporting.commands import report
from workcomp.summaries import (
    console,
    print_anomaly_counts,
    print_coverage,
    print_mart_summaries,
)
from workcomp.warehouse.connection import URL_ENV, database_url

MAIN_DAGS = (
    "ingest_health",
    "ingest_social_insurance",
    "ingest_emergency_management",
    "ingest_public_security",
    "warehouse_build",
    "quality_checks",
    "monthly_reports",
)


def masked(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1****@", url)


@click.group()
def main() -> None:
    """workcomp: work-injury insurance (工伤保险) data warehouse."""


# --- the warehouse ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The warehouse server: embedded by default, or WORKCOMP_DATABASE_URL."""


@db.command("start")
def db_start() -> None:
    """Start the embedded Postgres (or reuse it) and print its URL, password masked."""
    console.print(masked(database_url()))


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    from workcomp.warehouse.embedded import EmbeddedPostgres

    was_running = EmbeddedPostgres().stop()
    console.print("stopped" if was_running else "not running")


@db.command("status")
def db_status() -> None:
    """Say which warehouse is in use and whether it is up."""
    if os.environ.get(URL_ENV):
        console.print(f"external: {masked(os.environ[URL_ENV])}")
        return
    from workcomp.warehouse.embedded import EmbeddedPostgres

    server = EmbeddedPostgres()
    running = server.is_running()
    console.print(f"embedded: {'running' if running else 'stopped'}; data in {server.data_dir}")
    if running:
        console.print(masked(server.url()))


@db.command("url")
@click.option("--show-password", is_flag=True, help="Print the password too (for psql).")
def db_url(show_password: bool) -> None:
    """Print the warehouse URL."""
    url = database_url()
    click.echo(url if show_password else masked(url))


# --- building blocks -------------------------------------------------------------------------


def truth_path() -> Path:
    """The generator's ground truth lives beside, never inside, the landing folder."""
    return settings.state_dir() / "generated" / "ground_truth.json"


def _generate(landing: Path, scale: str, seed: int) -> dict:
    from workcomp.generator import generate

    with console.status("generating") as status:
        truth = generate(landing, truth_path(), scale=scale, seed=seed, progress=status.update)
    rows = sum(s["rows"] for s in truth["datasets"].values())
    dirty = sum(s.get("dirty", 0) for s in truth["datasets"].values())
    console.print(
        f"generated {scale} region (seed {seed}): {truth['counts']['workers']:,} workers, "
        f"{truth['counts']['employers']:,} employers, {rows:,} rows ({dirty:,} dirty on purpose) "
        f"in {landing}; ground truth {truth_path()}"
    )
    return truth


SCALE_OPTION = click.option(
    "--scale", type=click.Choice(["tiny", "city", "province"]), default="city", show_default=True
)
SEED_OPTION = click.option("--seed", default=2020, show_default=True)


@main.command("generate")
@SCALE_OPTION
@SEED_OPTION
@click.option("--landing", type=click.Path(path_type=Path), default=None)
def generate_cmd(scale: str, seed: int, landing: Path | None) -> None:
    """Write a generated pooling region's landing files for every feed (same seed, same files)."""
    _generate(landing or settings.landing_dir(), scale, seed)


@main.command("docs")
def docs_cmd() -> None:
    """Regenerate docs/feeds.md, docs/examples/ and the dbt sources from the feed contracts."""
    from workcomp.feed_docs import write_dbt_sources, write_docs

    console.print(f"written: {write_docs()}")
    for path in write_dbt_sources(settings.DBT_PROJECT_DIR):
        console.print(f"written: {path}")


def dbt_manifest(url: str | None = None) -> Path:
    """``dbt parse``: the manifest Cosmos renders the build DAG from."""
    from workcomp.orchestration.dbt_group import manifest_path

    env = with_environment(dbt_environment(url) if url else {})
    env.setdefault("DO_NOT_TRACK", "1")
    done = subprocess.run(
        [_bin("dbt"), "parse", "--project-dir", str(settings.DBT_PROJECT_DIR),
         "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--quiet"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise click.ClickException(f"dbt parse failed:\n{done.stdout}{done.stderr}")
    return manifest_path()


@main.command("dbt-manifest")
def dbt_manifest_cmd() -> None:
    """Build dbt_project/target/manifest.json ahead of DAG parsing."""
    console.print(f"manifest: {dbt_manifest()}")


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def airflow_init(env: dict[str, str]) -> None:
    """Create or upgrade the local Airflow metadata database."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    log = home / "db-migrate.log"
    with open(log, "w") as fh:
        done = subprocess.run([_bin("airflow"), "db", "migrate"], env=with_environment(env),
                              stdout=fh, stderr=subprocess.STDOUT)  # fmt: skip
    if done.returncode != 0:
        raise click.ClickException(f"airflow db migrate failed; see {log}")


def run_dags(dag_ids: tuple[str, ...], env: dict[str, str], log_path: Path) -> None:
    """Run DAGs through Airflow in a child process; show progress, keep the full log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "workcomp.orchestration.run_dags", *dag_ids]
    with open(log_path, "w") as log, console.status("starting Airflow") as status:
        proc = subprocess.Popen(cmd, env=with_environment(env), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if line.startswith("::workcomp::"):
                message = line.removeprefix("::workcomp::").strip()
                console.print(f"[bold]Airflow[/]: {message}")
                status.update(message)
            elif "[DAG TEST] start task" in line:
                task = re.search(r"task_id=(\S+)", line)
                status.update(f"task {task.group(1) if task else ''}")
        code = proc.wait()
    if code != 0:
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-25:])
        raise click.ClickException(f"a DAG run failed (full log: {log_path}):\n{tail}")


# --- reports ---------------------------------------------------------------------------------


def print_batches(url: str) -> None:
    """Rows read, loaded and quarantined per dataset, and batches that failed."""
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        rows = conn.execute(
            """
            select source, dataset, count(*) filter (where status = 'loaded'),
                   count(*) filter (where status = 'failed'),
                   coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_quarantined), 0)
            from raw.batches group by source, dataset order by source, dataset
            """
        ).fetchall()
    table = Table(title="Feeds loaded (数据接入情况)")
    for header, right in (("Source\n来源", False), ("Dataset\n数据集", False),
                          ("Batches\n批次", True), ("Failed\n失败", True), ("Read\n读取", True),
                          ("Loaded\n入库", True), ("Quarantined\n隔离", True)):  # fmt: skip
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    for source, dataset, batches, failed, read, loaded, quarantined in rows:
        table.add_row(
            source, dataset, str(batches), f"[red]{failed}[/]" if failed else "0",
            f"{read:,}", f"{loaded:,}", f"{quarantined:,}",
        )  # fmt: skip
    console.print(table)


@main.command("coverage")
def coverage_cmd() -> None:
    """Print the coverage mart per county and year against target."""
    print_coverage(database_url())


@main.command("quality")
def quality_cmd() -> None:
    """Run every Great Expectations suite and render Data Docs."""
    from workcomp.quality.suites import all_suite_names, data_docs_index, run_suites

    for r in run_suites(all_suite_names()):
        mark = "[green]passed[/]" if r.success else f"[red]FAILED[/] {'; '.join(r.failed)}"
        console.print(f"{r.suite}: {mark} ({r.evaluated} expectations)")
    console.print(f"Data Docs: {data_docs_index()}")


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


@main.command("ui")
@click.option("--port", type=int, default=8080, show_default=True, help="Port on 127.0.0.1.")
def ui_cmd(port: int) -> None:
    """Start the local Airflow UI on the warehouse; Ctrl-C stops it and all its processes."""
    import signal

    from workcomp.orchestration import local_ui

    url = database_url()
    env = airflow_environment(url)
    with console.status("dbt parse (manifest for Cosmos)"):
        dbt_manifest(url)
    with console.status("airflow db migrate"):
        airflow_init(env)
        local_ui.create_pools(env)
    with console.status("starting Airflow (api-server, scheduler, dag-processor, triggerer)"):
        ui = local_ui.start(with_environment(env), port)
    console.print(f"Airflow UI: {ui.url}  login: {ui.user} / {ui.password}", soft_wrap=True)
    console.print(f"log: {ui.log_path}; Ctrl-C stops it", soft_wrap=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        ui.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        with console.status("stopping Airflow"):
            local_ui.stop(ui)
        console.print("Airflow stopped")


@main.command("publish")
def publish_cmd() -> None:
    """Validate the unpublished build (marts_build, audit_build) and publish what passed.

    What quality_checks does after warehouse_build; for a build run by hand with
    `dbt build --vars '{write_audit_publish: true}'`.
    """
    from workcomp.orchestration import tasks

    held_back = tasks.validate_build()
    result = tasks.publish(held_back)
    console.print(f"published {len(result['published'])} relations (已发布)")
    for relation, why in sorted(result["held_back"].items()):
        console.print(f"[red]held back[/] {relation}: {why}")
    if result["held_back"]:
        raise SystemExit(1)


@main.group()
def roles() -> None:
    """Warehouse roles: loader, transformer, bi_reader, auditor (include/workcomp/warehouse)."""


def apply_warehouse_roles(url: str) -> str:
    from workcomp.ingest.loader import bootstrap
    from workcomp.warehouse.connection import connect
    from workcomp.warehouse.roles import ROLES, apply_roles

    with connect(url, autocommit=True) as conn:
        bootstrap(conn)
        logins = apply_roles(conn)
    return ", ".join(f"{r}{' (login)' if r in logins else ''}" for r in ROLES)


@roles.command("apply")
def roles_apply() -> None:
    """Create the roles and apply every grant; a role whose WORKCOMP_<ROLE>_PASSWORD is set
    gets a login with it."""
    console.print(f"roles applied: {apply_warehouse_roles(database_url())}")


# --- the main job ------------------------------------------------------------------------


@main.command("run")
@SCALE_OPTION
@SEED_OPTION
@click.option(
    "--generate/--no-generate",
    default=True,
    show_default=True,
    help="Generate a region's landing files first when the landing folder is empty.",
)
def run_cmd(scale: str, seed: int, generate: bool) -> None:
    """The main job: warehouse up, every feed through Airflow (load, GX, dbt), coverage printed."""
    started = time.monotonic()
    with console.status("starting the warehouse"):
        url = database_url()
    console.print(f"warehouse: {masked(url)}")
    console.print(f"roles: {apply_warehouse_roles(url)}")
    landing = settings.landing_dir()
    if generate and not any(landing.glob("*/*/*/*")):
        _generate(landing, scale, seed)
    env = airflow_environment(url)
    with console.status("dbt parse (manifest for Cosmos)"):
        dbt_manifest(url)
    with console.status("airflow db migrate"):
        airflow_init(env)
    log_path = settings.state_dir() / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    run_dags(MAIN_DAGS, env, log_path)
    print_batches(url)
    print_coverage(url)
    print_mart_summaries(url)
    print_anomaly_counts(url)
    html, xlsx = default_report_paths(url)
    from workcomp.quality.suites import data_docs_index

    console.print(f"Anomaly report (稽核疑点报告): {html}")
    console.print(f"Anomaly workbook: {xlsx}")
    console.print(f"Data Docs (Great Expectations): {data_docs_index()}")
    print_report_files()
    console.print(f"Airflow run log: {log_path}")
    console.print(f"Airflow task logs: {Path(env['AIRFLOW_HOME']) / 'logs'}")
    console.print(f"done in {time.monotonic() - started:.0f} s")


def print_report_files() -> None:
    """The bulletin and forms the monthly_reports DAG wrote in this run (paths unwrapped, so
    they can be copied)."""
    import json

    from workcomp.reporting.commands import latest_outputs_path

    written = json.loads(latest_outputs_path().read_text(encoding="utf-8"))
    month = written["month"][:7]
    console.print(f"Monthly bulletin (工伤保险数据月报) {month}: {written['bulletin_html']}",
                  soft_wrap=True)  # fmt: skip
    console.print(f"Bulletin PDF: {written['bulletin_pdf'] or written['pdf_note']}", soft_wrap=True)
    for form in written["forms"]:
        console.print(f"Form (报表): {form}", soft_wrap=True)


main.add_command(audit)
main.add_command(report)
main.add_command(benchmark)

if __name__ == "__main__":
    main()
