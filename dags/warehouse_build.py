"""
### warehouse_build — dbt seeds, staging, intermediate and marts (数据仓库构建)

Airflow DAG rendered by Cosmos from the dbt manifest built ahead of time
(`workcomp dbt-manifest`, run by the setup), so parsing this file does not run dbt. Each dbt
node is one `dbt build` task with its tests: a failed test stops what depends on it.

Scheduled on the raw-feeds Asset every ingest load updates: it runs when any feed has new
data. Marts and audit models are written to `marts_build` and `audit_build`, not to the
schemas people read (write-audit-publish). When every model is built and tested it updates
the build Asset; `quality_checks` follows, validates the build and publishes it.
"""

import datetime as dt

from airflow.sdk import DAG, task

from workcomp.orchestration.dbt_group import dbt_build_group
from workcomp.orchestration.ingest_dag import BUILD_ASSET, OWNER, RAW_FEEDS_ASSET
from workcomp.orchestration.reliability import deadline, retry_args

with DAG(
    dag_id="warehouse_build",
    schedule=[RAW_FEEDS_ASSET],
    start_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    deadline=deadline("warehouse_build"),
    doc_md=__doc__,
    tags=["dbt", "build"],
    # A failed dbt node is a failed model or test: a data or code error, not retried. Every
    # dbt node runs in the warehouse_dbt pool.
    default_args={"owner": OWNER, **retry_args(retries=0), "pool": "warehouse_dbt"},
) as dag:

    @task(outlets=[BUILD_ASSET])
    def build_complete() -> None:
        """Every model built and tested: the quality DAG may validate and publish."""

    dbt_build_group() >> build_complete()
