"""workcomp command line: the warehouse, the main job, and the pieces it is made of."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from workcomp import settings
from workcomp.orchestration.environment import (
    airflow_environment,
    dbt_environment,
    with_environment,
)
from workcomp.warehouse.connection import URL_ENV, database_url

# Wide enough for the coverage table when output goes to a file or CI log.
console = Console(width=None if sys.stdout.isatty() else 132)
MAIN_DAGS = (
    "ingest_health",
    "ingest_social_insurance",
    "ingest_emergency_management",
    "ingest_public_security",
    "warehouse_build",
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


def coverage_rows(url: str) -> list[tuple]:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        return conn.execute(
            """
            select coverage_year, region_code, region_name, workers_required, workers_insured,
                   coverage_rate, target_rate, gap_workers, is_on_track
            from marts.fct_key_industry_coverage_by_county
            order by coverage_year, region_code
            """
        ).fetchall()


def print_coverage(url: str) -> None:
    table = Table(
        title="Key-industry coverage by county vs target (尘肺病重点行业参保率 · 各旗县区)"
    )
    headers = ("Year\n年度", "County\n旗县区", "Code\n区划代码", "Workers\n应参保人数",
               "Insured\n已参保人数", "Rate\n参保率", "Target\n目标", "Gap\n差额人数",
               "On track\n是否达标")  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for year, code, name, required, insured, rate, target, gap, ok in coverage_rows(url):
        table.add_row(
            str(year), name, code, f"{required:,}", f"{insured:,}",
            "—" if rate is None else f"{rate:.1%}", f"{target:.0%}", f"{gap:,}",
            "[green]yes 是[/]" if ok else "[red]no 否[/]",
        )  # fmt: skip
    console.print(table)


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


def print_rates_and_fund(url: str) -> None:
    """Short summaries of the incident and fund marts."""
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        overall = conn.execute(
            """
            select rate_year, sum(recognised_injuries),
                   round(sum(recognised_injuries) * 1000 / nullif(sum(avg_insured_workers), 0), 2)
            from marts.fct_injury_rates group by rate_year order by rate_year
            """
        ).fetchall()
        top = conn.execute(
            """
            select r.industry_division, d.division_name, round(sum(r.recognised_injuries) * 1000
                   / nullif(sum(r.avg_insured_workers), 0), 2) as rate, sum(r.recognised_injuries)
            from marts.fct_injury_rates r
            left join reference.ref_industry_divisions d on d.division_code = r.industry_division
            group by 1, 2 having sum(r.avg_insured_workers) >= 100
            order by rate desc nulls last limit 5
            """
        ).fetchall()
        positions = conn.execute(
            """
            select p.injury_year, p.industry_division, d.division_name, p.position,
                   p.rate_per_1000_exposed, p.recognised_injuries, p.exposed_workers
            from marts.fct_high_risk_positions p
            left join reference.ref_industry_divisions d on d.division_code = p.industry_division
            where p.rate_per_1000_exposed is not null
              and p.injury_year = (select max(injury_year) - 1 from marts.fct_high_risk_positions)
            order by p.rate_per_1000_exposed desc limit 5
            """
        ).fetchall()
        fund = conn.execute(
            """
            select fund_year, contribution_income, benefit_expenditure, prevention_fee_ratio,
                   prevention_fee_cap, is_over_cap, is_under_floor, training_share,
                   months_not_reconciled
            from marts.fct_fund_yearly order by fund_year
            """
        ).fetchall()
    table = Table(title="Work-injury rate (工伤发生率 ‰, recognised injuries per 1,000 insured)")
    for header in ("Year 年度", "Injuries 认定工伤", "Rate ‰ 发生率"):
        table.add_column(header, justify="right")
    for year, injuries, rate in overall:
        table.add_row(str(year), f"{injuries:,}", "—" if rate is None else f"{rate}")
    console.print(table)
    table = Table(title="Highest-rate industries 2020–2025 (高发行业)")
    for header in ("Division 大类", "Name 名称", "Rate ‰", "Injuries"):
        table.add_column(header)
    for division, name, rate, injuries in top:
        table.add_row(division, name or "", f"{rate}", f"{injuries:,}")
    console.print(table)
    table = Table(title="Top five high-risk positions, last full year (高发岗位)")
    for header in (
        "Year 年度",
        "Industry 行业",
        "Position 岗位",
        "Rate ‰ 千人发生率",
        "Injuries",
        "Exposed",
    ):
        table.add_column(header)
    for year, _division, name, position, rate, injuries, exposed in positions:
        table.add_row(str(year), name or "", position, f"{rate}", str(injuries), f"{exposed:,}")
    console.print(table)
    table = Table(title="Fund and prevention fee (基金收支与工伤预防费)")
    headers = ("Year 年度", "Contributions 征缴收入", "Benefits 待遇支出", "Prevention 预防费占比",
               "Cap 上限", "Training 培训占比", "Flags 提示")  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right")
    for year, income, benefits, ratio, cap, over, under, training, breaks in fund:
        checks = (("over cap 超上限", over), ("under floor 低于下限", under),
                  (f"{breaks} month(s) unbalanced 不平衡", breaks))  # fmt: skip
        flags = [flag for flag, on in checks if on]
        table.add_row(
            str(year), f"{income:,.0f}", f"{benefits:,.0f}",
            "—" if ratio is None else f"{ratio:.2%}", f"{cap:.0%}",
            "—" if training is None else f"{training:.0%}", ", ".join(flags),
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
    print_rates_and_fund(url)
    from workcomp.quality.suites import data_docs_index

    console.print(f"Data Docs (Great Expectations): {data_docs_index()}")
    console.print(f"Airflow run log: {log_path}")
    console.print(f"Airflow task logs: {Path(env['AIRFLOW_HOME']) / 'logs'}")
    console.print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
