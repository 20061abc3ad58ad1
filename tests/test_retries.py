"""Airflow retries a transient fault and not a data error, and reports the failure to the
configured webhook: a small DAG built on the project's reliability helpers, run by Airflow's
own dag.test() on a fresh metadata database."""

import json
import os
import subprocess
import sys

DAG_FILE = """
import datetime as dt
import pathlib

import psycopg
from airflow.sdk import DAG, task

from workcomp.orchestration.reliability import reliably, retry_args
from workcomp.orchestration.tasks import DataQualityError

TRIES = pathlib.Path(__file__).with_suffix(".tries")


def attempt(name):
    tries = __import__("json").loads(TRIES.read_text()) if TRIES.exists() else {}
    tries[name] = tries.get(name, 0) + 1
    TRIES.write_text(__import__("json").dumps(tries))
    return tries[name]


def warehouse_down_once():
    if attempt("transient") == 1:  # nothing listens on port 1: connection refused
        psycopg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=3)
    return "loaded"


def critical_expectation_failed():
    attempt("data_error")
    raise DataQualityError("critical expectations failed: raw.x (check digit)")


with DAG(
    dag_id="retry_semantics",
    schedule=None,
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    default_args=retry_args(retries=2, first_delay=dt.timedelta(seconds=1)),
) as dag:

    @task
    def transient():
        return reliably(warehouse_down_once)

    @task
    def data_error():
        return reliably(critical_expectation_failed)

    transient()
    data_error()
"""

RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
run = bag.dags["retry_semantics"].test()
print("RESULT " + json.dumps({ti.task_id: ti.state for ti in run.get_task_instances()}))
"""


def test_a_transient_fault_is_retried_and_a_data_error_is_not(
    tmp_path, webhook, smtp_server, server_url
):
    from workcomp.cli import airflow_init
    from workcomp.orchestration.environment import airflow_environment

    os.environ["WORKCOMP_STATE_DIR"] = str(tmp_path / "state")
    try:
        env = {**os.environ, **airflow_environment(server_url)}
    finally:
        del os.environ["WORKCOMP_STATE_DIR"]
    url, received = webhook
    smtp_host, smtp_port, mails = smtp_server
    env.update({
        "WORKCOMP_STATE_DIR": str(tmp_path / "state"), "WORKCOMP_ALERT_WEBHOOK": url,
        "WORKCOMP_ALERT_EMAIL": "oncall@example.org, audit@example.org",
        "WORKCOMP_SMTP_HOST": smtp_host, "WORKCOMP_SMTP_PORT": str(smtp_port),
    })  # fmt: skip
    airflow_init(env)
    dags = tmp_path / "dags"
    dags.mkdir()
    dag_file = dags / "retry_semantics.py"
    dag_file.write_text(DAG_FILE)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(dags)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert result, done.stdout[-3000:] + done.stderr[-3000:]
    states = json.loads(result[0].removeprefix("RESULT "))
    tries = json.loads(dag_file.with_suffix(".tries").read_text())
    assert states == {"transient": "success", "data_error": "failed"}
    assert tries == {"transient": 2, "data_error": 1}  # retried once; never retried
    failures = [a for a in received if a["event"] == "task_failed"]
    assert [(a["dag_id"], a["task_id"]) for a in failures] == [("retry_semantics", "data_error")]
    assert "DataQualityError" in failures[0]["error"] and "not retried" in failures[0]["error"]
    # The same failure, and only it, is mailed to both recipients.
    assert [m["Subject"] for m in mails] == ["[workcomp] retry_semantics.data_error failed"]
    assert mails[0]["To"] == "oncall@example.org, audit@example.org"
    assert "critical expectations failed: raw.x (check digit)" in mails[0].get_content()
