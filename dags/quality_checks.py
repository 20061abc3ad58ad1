"""
### quality_checks — data-quality suites and the anomaly report (数据质量检查与稽核疑点报告)

Runs after each warehouse build (scheduled on the marts Asset that `warehouse_build`
updates). Validates every Great Expectations suite over the raw tables, then over the marts
and the audit tables; each expectation's result is stored in `audit.quality_results` and the
Data Docs are rebuilt. A failed critical suite fails its task; warnings are logged only. The
anomaly report (HTML and XLSX) is written whatever the suites found, so audit staff always
get the latest cases.
"""

import datetime as dt

from airflow.sdk import DAG, task

from workcomp.orchestration import tasks
from workcomp.orchestration.ingest_dag import OWNER, WAREHOUSE_ASSET

with DAG(
    dag_id="quality_checks",
    schedule=[WAREHOUSE_ASSET],
    start_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["quality", "audit"],
    default_args={"owner": OWNER, "retries": 0},
) as dag:

    @task
    def raw_suites() -> list[dict]:
        return tasks.validate_schemas(["raw"])

    @task
    def mart_suites() -> list[dict]:
        return tasks.validate_schemas(["marts", "audit"])

    @task(trigger_rule="all_done")
    def anomaly_report() -> dict:
        return tasks.anomaly_report()

    raw = raw_suites()
    marts = mart_suites()
    raw >> marts >> anomaly_report()
