"""One ingest DAG per source agency: for each dataset, load waiting batches, then validate."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, task

from workcomp.orchestration import tasks
from workcomp.orchestration.reliability import reliably, retry_args

OWNER = "workcomp-data-engineering"


# Updated by every validated load: the warehouse build is scheduled on it. One Asset rather than
# AssetAny over the 17 raw tables, which Airflow hashes at every task dependency Cosmos sets
# (about 0.9 s per parse of warehouse_build).
RAW_FEEDS_ASSET = Asset(name="raw.feeds", uri="workcomp://warehouse/raw")


def raw_asset(source: str, dataset: str) -> Asset:
    """The Airflow Asset a raw table stands for (lineage of each load)."""
    return Asset(
        name=f"raw.{source}__{dataset}",
        uri=f"postgres://warehouse:5432/workcomp/raw/{source}__{dataset}",
    )


# The unpublished build (marts_build, audit_build): warehouse_build updates it and
# quality_checks follows, validates it and publishes what passed.
BUILD_ASSET = Asset(name="warehouse.build", uri="workcomp://warehouse/build")
# The published marts and audit tables: what reports and BI read.
MARTS_ASSET = Asset(name="warehouse.marts", uri="workcomp://warehouse/marts")


def ingest_dag(source: str, schedule: str, doc_md: str) -> DAG:
    with DAG(
        dag_id=f"ingest_{source}",
        schedule=schedule,
        start_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        doc_md=doc_md,
        tags=["ingest", source],
        default_args={"owner": OWNER, **retry_args()},
    ) as dag:
        for dataset in tasks.datasets_of(source):

            @task(
                task_id=f"load_{dataset}",
                outlets=[raw_asset(source, dataset)],
                pool="warehouse_loads",
            )
            def load(dataset: str = dataset, logical_date=None) -> list[dict]:
                return reliably(tasks.ingest, source, dataset, tasks.run_month(logical_date))

            # The build follows a validated load only: a critical raw failure stops it here.
            @task(task_id=f"validate_{dataset}", outlets=[RAW_FEEDS_ASSET])
            def validate(_loaded: list[dict], dataset: str = dataset) -> list[dict]:
                return reliably(
                    tasks.validate,
                    [f"raw.{source}__{dataset}", f"raw.{source}__{dataset}.warnings"],
                )

            validate(load())
    return dag
