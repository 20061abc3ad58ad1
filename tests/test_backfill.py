"""A backfill of a past month, run by Airflow with that month's logical date, loads what that
month delivered and nothing later, and the rebuilt marts equal the original run's."""

import datetime as dt
import json
import os
import subprocess
import sys

import psycopg
import pytest

from conftest import run_dbt

pytestmark = pytest.mark.e2e

JUNE = "social_insurance/contributions/2024-06"
SEPTEMBER = "social_insurance/contributions/2024-09"
RUNNER = """
import datetime as dt, json, sys
from airflow.dag_processing.dagbag import DagBag
from workcomp.orchestration.reliability import ensure_pools
from workcomp.orchestration.run_dags import run_in_process
ensure_pools()
bag = DagBag(dag_folder=sys.argv[1])
run = run_in_process(bag.dags["ingest_social_insurance"],
                     logical_date=dt.datetime.fromisoformat(sys.argv[2]))
print("RESULT " + json.dumps(str(getattr(run.state, "value", run.state))))
"""
SNAPSHOTS = {
    "rate_float": "select * from marts.fct_employer_rate_float order by 1, 2",
    "rates": "select * from marts.fct_injury_rates order by 1, 2, 3",
    "coverage": "select * from marts.fct_key_industry_coverage_monthly order by 1, 3, 4",
    "cases": "select case_key, rule_code, evidence::text from audit.fct_anomaly_cases order by 1",
}


def snapshot(url):
    with psycopg.connect(url) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in SNAPSHOTS.items()}


def test_backfilled_month_gives_the_original_marts(first_run):
    from workcomp.orchestration.environment import airflow_environment
    from workcomp.settings import DAGS_DIR

    url, env, *_ = first_run
    original = snapshot(url)
    batches = "select batch_id, rows_loaded, rows_quarantined from raw.batches"
    with psycopg.connect(url, autocommit=True) as conn:
        loaded = dict((b, (n, q)) for b, n, q in conn.execute(
            batches + " where batch_id = any(%s)", [[JUNE, SEPTEMBER]]))  # fmt: skip
        assert set(loaded) == {JUNE, SEPTEMBER} and all(n > 0 for n, _ in loaded.values())
        # Two months are lost from the warehouse (restored from an old backup, say).
        for batch in (JUNE, SEPTEMBER):
            conn.execute("delete from raw_store.social_insurance__contributions where _file_id"
                         " = any(array(select file_id from raw.files where batch_id = %s))",
                         [batch])  # fmt: skip
            conn.execute("delete from raw.files where batch_id = %s", [batch])
            conn.execute("delete from raw.quarantine where batch_id = %s", [batch])
            conn.execute("delete from raw.batches where batch_id = %s", [batch])
        started = conn.execute("select now()").fetchone()[0]
    saved = os.environ.get("WORKCOMP_STATE_DIR")
    os.environ["WORKCOMP_STATE_DIR"] = env["WORKCOMP_STATE_DIR"]
    try:
        airflow_env = {**env, **airflow_environment(url)}
    finally:
        if saved is None:
            del os.environ["WORKCOMP_STATE_DIR"]
        else:
            os.environ["WORKCOMP_STATE_DIR"] = saved

    def backfill(logical_date: str) -> list[tuple]:
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, str(DAGS_DIR), logical_date],
            env=airflow_env, capture_output=True, text=True, timeout=1200,
        )  # fmt: skip
        result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        assert result and json.loads(result[0][7:]) == "success", (
            done.stdout[-3000:] + done.stderr[-3000:]
        )
        with psycopg.connect(url) as conn:
            return conn.execute(
                batches + " where finished_at >= %s order by 1", [started]
            ).fetchall()

    # June's run loads June only: September is after its month, earlier months are there.
    assert backfill("2024-06-15T06:00:00+00:00") == [(JUNE, *loaded[JUNE])]
    assert backfill("2024-09-15T06:00:00+00:00") == [
        (JUNE, *loaded[JUNE]), (SEPTEMBER, *loaded[SEPTEMBER]),
    ]  # fmt: skip
    run_dbt(url, "build", "--quiet", "--exclude", "path:models/marts/semantic", env=env)
    assert snapshot(url) == original
    assert dt.date(2024, 6, 1) in {row[0] for row in original["coverage"]}
