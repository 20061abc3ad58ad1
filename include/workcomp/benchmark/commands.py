"""``workcomp benchmark``: measured figures, printed as ratios against baselines run in the same
session on the same machine (shared, noisy machines make absolute seconds meaningless)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from rich.table import Table

from workcomp.benchmark.common import console, fresh_database, machine
from workcomp.benchmark.province import province_cmd

METHODS = {
    "copy": "raw COPY into an untyped table (the practical limit)",
    "pandas": "pandas.read_csv + DataFrame.to_sql (by hand)",
    "workcomp": "workcomp loader (decode, validate, quarantine, COPY over two connections)",
    "workcomp-1": "the same loader copying over one connection (WORKCOMP_COPY_CONNECTIONS=1)",
}


def run_step(method: str, url: str, batch: Path) -> dict:
    env = dict(os.environ)
    if method == "workcomp-1":
        method, env["WORKCOMP_COPY_CONNECTIONS"] = "workcomp", "1"
    done = subprocess.run(
        [sys.executable, "-m", "workcomp.benchmark.ingest_steps", method, url, str(batch)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise click.ClickException(f"{method} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[0].removeprefix("RESULT "))


@click.group()
def benchmark() -> None:
    """Benchmarks (性能基准): see docs/benchmarks.md."""


@benchmark.command("ingest")
@click.option("--rows", default=2_000_000, show_default=True,
              help="Contribution rows in the file (a province's month is about 2M).")  # fmt: skip
@click.option("--skip-pandas", is_flag=True, help="Leave out the slow pandas baseline.")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(1),
              help="Rounds of every method, interleaved; the table shows each one's median.")
def ingest_cmd(rows: int, skip_pandas: bool, repeat: int) -> None:
    """Contributions ingest throughput next to raw COPY and pandas, on the same file.

    The methods take turns, round after round, so a slow spell of a shared machine falls on
    all of them alike; the ratios are between medians."""
    from workcomp.benchmark.contributions_file import write_contributions
    from workcomp.warehouse.connection import database_url

    # The embedded server unless WORKCOMP_DATABASE_URL names another.
    bench_url = fresh_database(database_url(), "workcomp_bench")
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "social_insurance" / "contributions" / "2025-12"
        batch.mkdir(parents=True)
        with console.status(f"writing {rows:,} contribution rows"):
            dirty = write_contributions(batch / "contributions_2025-12.csv", rows)
        size = (batch / "contributions_2025-12.csv").stat().st_size
        methods = [m for m in METHODS if not (m == "pandas" and skip_pandas)]
        runs: dict[str, list[dict]] = {m: [] for m in methods}
        for round_ in range(1, repeat + 1):
            for method in methods:
                with console.status(f"round {round_}/{repeat}, {method}: {METHODS[method]}"):
                    result = run_step(method, bench_url, batch)
                if result["rows"] != rows:
                    raise click.ClickException(
                        f"{method} handled {result['rows']:,} rows, not {rows:,}")  # fmt: skip
                runs[method].append(result)
    table = Table(title=f"Contributions ingest, {rows:,} rows ({size / 2**20:.0f} MiB, "
                        f"{dirty} planted bad check digits), median of {repeat} interleaved "
                        f"rounds; {machine()}")  # fmt: skip
    for column in ("method", "seconds", "min–max", "rows/s", "vs raw COPY", "vs pandas",
                   "peak RSS MiB"):  # fmt: skip
        table.add_column(column, justify="left" if column == "method" else "right")
    seconds = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    rate = {m: rows / s for m, s in seconds.items()}
    for method, results in runs.items():
        spread = [r["seconds"] for r in results]
        table.add_row(
            method, f"{seconds[method]:.1f}", f"{min(spread):.1f}–{max(spread):.1f}",
            f"{rate[method]:,.0f}", f"{rate[method] / rate['copy']:.2f}",
            f"{rate[method] / rate['pandas']:.1f}" if "pandas" in rate else "–",
            f"{max(r['peak_rss_mib'] for r in results):.0f}",
        )  # fmt: skip
    console.print(table)
    for method in runs:
        console.print(f"  {method}: {METHODS[method]}")


_PARSE_ONE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag  # loaded before timing, as the processor has it
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
seconds = time.perf_counter() - started
print("RESULT " + json.dumps({"seconds": seconds, "dags": len(bag.dags),
                              "errors": {k: str(v)[:300] for k, v in bag.import_errors.items()}}))
"""


@benchmark.command("dags")
def dags_cmd() -> None:
    """Parse time of each DAG file, each in a fresh process with Airflow already imported
    (as the DAG processor has it); the target is under one second per file."""
    from workcomp import settings
    from workcomp.orchestration.environment import airflow_environment
    from workcomp.warehouse.connection import database_url

    env = {**os.environ, **airflow_environment(database_url())}
    table = Table(title=f"DAG file parse time; {machine()}")
    for column in ("file", "DAGs", "seconds", "under 1 s"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for path in sorted(settings.DAGS_DIR.glob("*.py")):
        done = subprocess.run([sys.executable, "-c", _PARSE_ONE, str(path)], env=env,
                              capture_output=True, text=True)  # fmt: skip
        lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise click.ClickException(f"{path.name}: {done.stderr[-2000:]}")
        result = json.loads(lines[0].removeprefix("RESULT "))
        if result["errors"]:
            raise click.ClickException(f"{path.name}: {result['errors']}")
        seconds = result["seconds"]
        table.add_row(path.name, str(result["dags"]), f"{seconds:.2f}",
                      "yes" if seconds < 1 else "NO")  # fmt: skip
    console.print(table)


benchmark.add_command(province_cmd)
