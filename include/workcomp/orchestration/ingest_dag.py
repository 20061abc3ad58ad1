"""One ingest DAG per source agency: for each dataset, load waiting batches, then validate."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, PokeReturnValue, task

from workcomp.orchestration import tasks
from workcomp.orchestration.reliability import deadline, reliably, retry_args

OWNER = "workcomp-data-engineering"

# A batch still arriving is waited for: re-checked every minute without holding a worker slot
# (reschedule), given up after six hours (the sender is then chased; the alert says which).
BATCH_POKE_INTERVAL = dt.timedelta(minutes=1)
BATCH_WAIT_TIMEOUT = dt.timedelta(hours=6)


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
        deadline=deadline("ingest"),
        doc_md=doc_md,
        tags=["ingest", source],
        default_args={"owner": OWNER, **retry_args()},
    ) as dag:
        for dataset in tasks.datasets_of(source):

            @task.sensor(
                task_id=f"wait_for_{dataset}",
                poke_interval=BATCH_POKE_INTERVAL,
                timeout=BATCH_WAIT_TIMEOUT,
                mode="reschedule",
            )
            def wait_for_complete(dataset: str = dataset, logical_date=None) -> PokeReturnValue:
                """Every batch for the run's months is complete (the contract's rule)."""
                waiting = reliably(
                    tasks.batches_waiting, source, dataset, tasks.run_month(logical_date)
                )
                for batch in waiting:
                    tasks.log.info("waiting for %s/%s/%s", source, dataset, batch)
                return PokeReturnValue(is_done=not waiting)

            @task(
                task_id=f"load_{dataset}",
                outlets=[raw_asset(source, dataset)],
                pool="warehouse_loads",
            )
            def load(dataset: str = dataset, logical_date=None) -> list[dict]:
                return reliably(tasks.ingest, source, dataset, tasks.run_month(logical_date))

            # The build follows a validated load only: a critical raw failure stops it here.
            # Only the batches this run loaded are validated: each earlier batch was when it
            # came (`workcomp quality` validates every row of every table).
            @task(task_id=f"validate_{dataset}", outlets=[RAW_FEEDS_ASSET])
            def validate(loaded: list[dict], dataset: str = dataset) -> list[dict]:
                return reliably(
                    tasks.validate,
                    [f"raw.{source}__{dataset}", f"raw.{source}__{dataset}.warnings"],
                    batches=[r["batch_id"] for r in loaded if r["status"] == "loaded"],
                )

            loaded = load()
            wait_for_complete() >> loaded
            validate(loaded)
    return dag
