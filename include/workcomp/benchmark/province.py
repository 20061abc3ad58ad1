"""``workcomp benchmark province``: loads and builds at a province's scale.

Each step runs in its own process under ``workcomp.benchmark.measure``, which reports its wall
time and the peak memory of its largest Python process. The steps, on one fresh database:

1. generate the region (2M insured workers, a year of monthly contributions), unless
   ``--landing`` names files generated before;
2. load every feed with the loader (what the ingest DAGs' tasks call), contributions up to the
   month before the last;
3. a full ``dbt build --full-refresh``, with the anomaly models' and the tests' share taken from
   dbt's run_results.json;
4. the last month arrives: its load, the raw suites over its batch (as an ingest run
   validates what it loaded), then the incremental ``dbt build``, as a share of
   the full build;
5. the Great Expectations suites (``workcomp quality``);
6. with ``--main-job``, the main job end to end on a second fresh database, every month in
   landing: ``workcomp run --no-generate`` (every feed through Airflow: load, quality suites,
   dbt build, publish, reports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import psycopg
from rich.table import Table

from workcomp.benchmark.common import console, fresh_database, machine
from workcomp.settings import DBT_PROJECT_DIR

DATABASE = "workcomp_bench_province"
MAIN_JOB_DATABASE = "workcomp_bench_main_job"
CONTRIBUTIONS = Path("social_insurance") / "contributions"


def measured(label: str, argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Run ``argv`` under the measuring wrapper; its output goes to ``log`` as it comes, so
    that a long step can be followed (``tail -f``)."""
    lines = []
    with console.status(label), open(log, "a") as out:
        out.write(f"\n=== {label}: {' '.join(argv)}\n")
        out.flush()
        with subprocess.Popen([sys.executable, "-m", "workcomp.benchmark.measure", *argv],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, bufsize=1) as child:  # fmt: skip
            for line in child.stdout:
                out.write(line)
                out.flush()
                if line.startswith("RESULT "):
                    lines.append(line)
    result = json.loads(lines[-1].removeprefix("RESULT ")) if lines else {"returncode": -1}
    if result["returncode"] != 0:
        raise click.ClickException(f"{label} failed; its output is in {log}")
    console.print(f"{label}: {result['seconds']:.0f} s, peak {result['peak_rss_mib']:.0f} MiB")
    return result


def dbt_build(target: Path, full_refresh: bool) -> list[str]:
    dbt = str(Path(sys.executable).with_name("dbt"))
    argv = [dbt, "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
            str(DBT_PROJECT_DIR), "--target-path", str(target), "--exclude",
            "path:models/marts/semantic"]  # fmt: skip
    return argv + (["--full-refresh"] if full_refresh else [])


def node_seconds(target: Path) -> dict[str, float]:
    """Seconds per kind of node from dbt's run_results.json."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    shares = {"anomaly models": 0.0, "tests": 0.0, "contributions models": 0.0}
    for node in results:
        uid, seconds = node["unique_id"], node["execution_time"]
        if uid.startswith("test."):
            shares["tests"] += seconds
        elif uid.startswith("model.workcomp.anomaly_") or uid.endswith("fct_anomaly_cases"):
            shares["anomaly models"] += seconds
        if uid.split(".")[-1] in (
            "stg_social_insurance__contributions", "int_employer_contributions_monthly"
        ):  # fmt: skip
            shares["contributions models"] += seconds
    return shares


# Every batch of every feed, contributions up to the month in argv[1] (the next one arrives
# later). The loader is called directly: the files are complete, so no readiness wait.
LOAD_ALL = """
import sys
from workcomp import settings
from workcomp.contracts import all_contracts
from workcomp.ingest.loader import bootstrap, load_batch, pending_batches
from workcomp.warehouse.connection import connect, database_url
with connect(database_url(), autocommit=True) as conn:
    bootstrap(conn)
    for contract in all_contracts().values():
        until = sys.argv[1] if contract.dataset == "contributions" else None
        for batch in pending_batches(settings.landing_dir(), contract, until):
            load_batch(conn, contract, batch)
"""
# One contributions batch, the month in argv[1].
LOAD_MONTH = """
import sys
from workcomp import settings
from workcomp.contracts import get_contract
from workcomp.ingest.loader import load_batch
from workcomp.warehouse.connection import connect, database_url
contract = get_contract("social_insurance", "contributions")
with connect(database_url(), autocommit=True) as conn:
    batch = settings.landing_dir() / "social_insurance" / "contributions" / sys.argv[1]
    print(load_batch(conn, contract, batch))
"""
# The contributions raw suites over one batch, as an ingest run validates what it loaded.
VALIDATE_MONTH = """
import sys
from workcomp.quality.suites import run_suites
from workcomp.warehouse.connection import database_url
names = ["raw.social_insurance__contributions", "raw.social_insurance__contributions.warnings"]
for result in run_suites(names, database_url(), batches=[sys.argv[1]]):
    print(result)
"""


MAIN_JOB_NOTES = {
    "main job": "every month but the last: load, GX suites, dbt build, publish, reports",
    "main job, month arrived": "the same DAGs again once the last month's contributions came",
}


def linked_landing(landing: Path, view: Path, leave_out: Path | None = None) -> None:
    """``view`` as a landing folder whose batch folders link to those of ``landing``, all but
    ``leave_out`` (source/dataset/batch); links made before are kept."""
    for batch in sorted(landing.glob("*/*/*")):
        relative = batch.relative_to(landing)
        if not batch.is_dir() or batch.name.startswith(".") or relative == leave_out:
            continue
        link = view / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(batch.resolve(), target_is_directory=True)


def main_job_runs(server_url: str, env: dict[str, str], state: Path, landing: Path, held: str,
                  cli: list[str], log: Path) -> dict[str, dict]:  # fmt: skip
    """The main job through Airflow on a fresh database with the last month of contributions
    held back, then again once it has arrived: what a month costs through Airflow (Cosmos runs
    each dbt node as a task; under write-audit-publish marts and audit are rebuilt)."""
    # The job reads a landing folder of links to the generated batches, so holding a month
    # back never moves the generated files (an interrupted run leaves them as they were).
    view = state / "main-job-landing"
    main_env = {**env, "WORKCOMP_DATABASE_URL": fresh_database(server_url, MAIN_JOB_DATABASE),
                "WORKCOMP_STATE_DIR": str(state / "main-job"),
                "WORKCOMP_LANDING_DIR": str(view)}  # fmt: skip
    steps = {}
    linked_landing(landing, view, leave_out=CONTRIBUTIONS / held)
    steps["main job"] = measured(f"main job (workcomp run), contributions to before {held}",
                                 [*cli, "run", "--no-generate"], main_env, log)  # fmt: skip
    linked_landing(landing, view)  # the month arrives
    steps["main job, month arrived"] = measured(
        f"main job again, contributions {held} arrived", [*cli, "run", "--no-generate"],
        main_env, log,
    )  # fmt: skip
    steps["main job, month arrived"]["share of first run"] = (
        steps["main job, month arrived"]["seconds"] / steps["main job"]["seconds"]
    )
    return steps


def report_main_job(steps: dict[str, dict], scale: str, seed: int, state: Path) -> None:
    report = Table(title=f"Main job through Airflow ({scale}, seed {seed}); {machine()}")
    for column in ("step", "seconds", "share of first run", "peak RSS MiB", "note"):
        report.add_column(column, justify="left" if column in ("step", "note") else "right")
    first = steps["main job"]["seconds"]
    for name, step in steps.items():
        if name.startswith("main job"):
            report.add_row(name, f"{step['seconds']:.0f}", f"{step['seconds'] / first:.2f}",
                           f"{step['peak_rss_mib']:.0f}", MAIN_JOB_NOTES[name])  # fmt: skip
    console.print(report)
    figures = {"machine": machine(), "scale": scale, "seed": seed, "steps": steps}
    (state / "benchmark-main-job.json").write_text(json.dumps(figures, indent=2))
    console.print(f"figures: {state / 'benchmark-main-job.json'}")


def table_rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@click.command("province")
@click.option(
    "--scale",
    type=click.Choice(["tiny", "city", "province"]),
    default="province",
    show_default=True,
    help="Generated region size (tiny: to try the command).",
)
@click.option("--seed", default=2020, show_default=True)
@click.option("--landing", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Landing files generated before (`workcomp generate --landing`).")  # fmt: skip
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="State folder for this run (default: a temporary folder).")  # fmt: skip
@click.option("--main-job", is_flag=True,
              help="Also time the main job through Airflow: every month but the last, then "
                   "the last month arriving.")  # fmt: skip
@click.option("--main-job-only", is_flag=True,
              help="Time only the main job's two runs (the other steps measured before).")
def province_cmd(
    scale: str, seed: int, landing: Path | None, workdir: Path | None, main_job: bool,
    main_job_only: bool,
) -> None:
    """Loads, full and incremental dbt builds, quality suites and memory at a province's
    scale, on databases of their own (see docs/benchmarks.md)."""
    from workcomp.orchestration.environment import dbt_environment
    from workcomp.warehouse.connection import database_url

    server_url = database_url()
    url = fresh_database(server_url, DATABASE)
    state = (workdir or Path(tempfile.mkdtemp(prefix="workcomp-bench-"))).resolve()
    state.mkdir(parents=True, exist_ok=True)
    landing = (landing or state / "landing").resolve()
    log = state / "benchmark.log"
    env = {**os.environ, "WORKCOMP_DATABASE_URL": url, "WORKCOMP_STATE_DIR": str(state),
           "WORKCOMP_LANDING_DIR": str(landing)}  # fmt: skip
    env.pop("AIRFLOW_HOME", None)
    console.print(f"machine: {machine()}; state and log: {state}")
    steps: dict[str, dict] = {}
    cli = [sys.executable, "-m", "workcomp.cli"]

    if not any(landing.glob("*/*/*/*")):
        generate = [*cli, "generate", "--scale", scale, "--seed", str(seed), "--landing",
                    str(landing)]  # fmt: skip
        steps["generate"] = measured(f"generate ({scale})", generate, env, log)
    months = sorted(p.name for p in (landing / CONTRIBUTIONS).iterdir()
                    if p.is_dir() and not p.name.startswith("."))  # fmt: skip
    held, before = months[-1], months[-2]  # the last month arrives after the full build
    if main_job_only:
        steps.update(main_job_runs(server_url, env, state, landing, held, cli, log))
        report_main_job(steps, scale, seed, state)
        return
    steps["roles"] = measured("roles and bootstrap", [*cli, "roles", "apply"], env, log)
    load_all = [sys.executable, "-c", LOAD_ALL, before]
    steps["load"] = measured(f"load every feed (contributions to {before})", load_all, env, log)
    dbt_env = {**env, **dbt_environment(url)}
    full_target = state / "dbt-full"
    steps["full build"] = measured("dbt build --full-refresh", dbt_build(full_target, True),
                                   dbt_env, log)  # fmt: skip
    full_nodes = node_seconds(full_target)
    steps["month load"] = measured(f"load contributions {held}",
                                   [sys.executable, "-c", LOAD_MONTH, held], env, log)  # fmt: skip
    steps["month validation"] = measured(
        f"raw suites over the contributions batch {held}",
        [sys.executable, "-c", VALIDATE_MONTH, f"{CONTRIBUTIONS.as_posix()}/{held}"], env, log,
    )  # fmt: skip
    [(month_rows,)] = table_rows(url, "select rows_read from raw.batches where batch_id ="
                                 f" 'social_insurance/contributions/{held}'")  # fmt: skip
    incremental_target = state / "dbt-incremental"
    incremental = dbt_build(incremental_target, False)
    steps["incremental build"] = measured("dbt build (one more month)", incremental, dbt_env, log)
    incremental_nodes = node_seconds(incremental_target)
    [(contribution_rows,)] = table_rows(
        url, "select count(*) from staging.stg_social_insurance__contributions"
    )
    # Last: the suites read every table, and the build figures matter more if time runs out.
    steps["quality suites"] = measured("quality suites (workcomp quality)", [*cli, "quality"],
                                       env, log)  # fmt: skip
    [(loaded_rows,)] = table_rows(url, "select sum(rows_read) from raw.batches")
    if main_job:
        steps.update(main_job_runs(server_url, env, state, landing, held, cli, log))

    full = steps["full build"]["seconds"]
    load_seconds = steps["month load"]["seconds"]
    incremental_contributions = incremental_nodes["contributions models"]
    report = Table(title=f"Province benchmark ({scale}, seed {seed}); {machine()}")
    for column in ("step", "seconds", "share of full build", "peak RSS MiB", "note"):
        report.add_column(column, justify="left" if column in ("step", "note") else "right")
    notes = {
        **MAIN_JOB_NOTES,
        "load": f"{loaded_rows - month_rows:,} rows of every feed",
        "full build": (f"anomaly models {full_nodes['anomaly models']:.0f} s, tests "
                       f"{full_nodes['tests']:.0f} s, contributions models "
                       f"{full_nodes['contributions models']:.0f} s (node time)"),
        "month load": f"{month_rows:,} rows, {month_rows / load_seconds:,.0f} rows/s",
        "month validation": "contributions raw suites over the month's batch (an ingest run)",
        "incremental build": (f"contributions models {incremental_contributions:.0f} s;"
                              f" {contribution_rows:,} contribution rows in staging"),
    }  # fmt: skip
    for name, step in steps.items():
        report.add_row(name, f"{step['seconds']:.0f}",
                       f"{step['seconds'] / full:.2f}" if "build" in name else "",
                       f"{step['peak_rss_mib']:.0f}", notes.get(name, ""))  # fmt: skip
    console.print(report)
    figures = {"machine": machine(), "scale": scale, "seed": seed, "steps": steps,
               "full_build_nodes": full_nodes, "incremental_build_nodes": incremental_nodes,
               "month_rows": month_rows, "contribution_rows": contribution_rows}  # fmt: skip
    (state / "benchmark-province.json").write_text(json.dumps(figures, indent=2))
    console.print(f"figures: {state / 'benchmark-province.json'}")
