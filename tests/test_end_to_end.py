"""The main job through Airflow, dbt and Great Expectations, checked against the generator.

The expected coverage is worked out here from the generator's own enterprises (its ground
truth), and the targets from the seed text (80% in 2020, 90% in 2021, 100% in 2022), not from
anything the pipeline computed.
"""

import math
import os
import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import psycopg
import pytest

from workcomp.sample_slice import YEARS, build_enterprises, write_sample
from workcomp.warehouse.connection import with_database

SEED = 31
TARGETS = {2020: Fraction(80, 100), 2021: Fraction(90, 100), 2022: Fraction(1)}

pytestmark = pytest.mark.e2e


def expected_coverage(seed: int) -> dict[tuple[int, str], tuple]:
    totals = defaultdict(lambda: [0, 0])
    for e in build_enterprises(seed):
        if not e.industry:  # not a key-industry enterprise: not on the roster
            continue
        for year in YEARS:
            insured = min(e.insured[year] or 0, e.workers[year])
            totals[(year, e.county)][0] += e.workers[year]
            totals[(year, e.county)][1] += insured
    out = {}
    for (year, county), (required, insured) in totals.items():
        rate = (Decimal(insured) / Decimal(required)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        needed = math.ceil(TARGETS[year] * required)
        out[(year, county)] = (required, insured, rate, max(needed - insured, 0), insured >= needed)
    return out


def run_main(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workcomp.cli", "run", "--no-sample"],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def mart(url):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select coverage_year, region_code, workers_required, workers_insured, coverage_rate,"
            " gap_workers, is_on_track from marts.fct_key_industry_coverage_by_county"
        ).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def counts(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select (select count(*) from raw.health__dust_enterprises),"
            " (select count(*) from raw.social_insurance__employers),"
            " (select count(*) from raw.quarantine),"
            " (select count(*) from raw.batches where status = 'loaded'),"
            " (select count(*) from staging.stg_health__dust_enterprises)"
        ).fetchone()


@pytest.fixture(scope="module")
def first_run(server_url, tmp_path_factory):
    name = "wc_e2e"
    admin = with_database(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    root = tmp_path_factory.mktemp("e2e")
    write_sample(root / "landing", seed=SEED)
    env = {
        **os.environ,
        "WORKCOMP_DATABASE_URL": url,
        "WORKCOMP_STATE_DIR": str(root / "state"),
        "WORKCOMP_LANDING_DIR": str(root / "landing"),
    }
    env.pop("AIRFLOW_HOME", None)
    done = run_main(env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return url, env, root, done.stdout


def test_coverage_mart_equals_the_generators_truth(first_run):
    url, *_ = first_run
    assert mart(url) == expected_coverage(SEED)


def test_every_row_is_loaded_or_quarantined(first_run):
    url, *_ = first_run
    roster_rows = 48 * len(YEARS)  # 48 enterprises a year; 2 planted bad rows a year quarantined
    registered = sum(e.insured[y] is not None for e in build_enterprises(SEED) for y in YEARS)
    quarantined = 2 * len(YEARS) + 1 * len(YEARS)
    assert counts(url) == (roster_rows, registered, quarantined, 2 * len(YEARS), roster_rows)


def test_main_job_prints_the_coverage_table_and_where_things_are(first_run):
    _, _, root, stdout = first_run
    assert "乌拉特后旗" in stdout and "参保率" in stdout
    assert "Data Docs" in stdout and "Airflow run log" in stdout
    assert (
        root / "state" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).exists()
    # The DAGs really ran in Airflow: the metadata database records successful runs.
    with __import__("sqlite3").connect(root / "state" / "airflow" / "airflow.db") as db:
        runs = dict(db.execute("select dag_id, state from dag_run").fetchall())
    assert runs == {"ingest_health": "success", "ingest_social_insurance": "success",
                    "warehouse_build": "success"}  # fmt: skip


def test_running_again_changes_nothing(first_run):
    url, env, *_ = first_run
    before_mart, before_counts = mart(url), counts(url)
    done = run_main(env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert mart(url) == before_mart
    assert counts(url) == before_counts
