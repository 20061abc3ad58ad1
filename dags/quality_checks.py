"""
### quality_checks — validate, publish, report (数据质量检查、发布与稽核疑点报告)

Runs after each warehouse build (scheduled on the build Asset that `warehouse_build`
updates). Write-audit-publish:

1. `validate_build` runs the Great Expectations suites of the marts and the audit tables
   against the unpublished build (`marts_build`, `audit_build`). Each expectation's result is
   stored in `audit.quality_results`; Data Docs are rebuilt.
2. `publish` moves every relation whose critical suites passed into `marts` / `audit` in one
   transaction and updates the marts Asset. A relation with a failed critical suite is held
   back: readers keep its last good copy. Warnings are logged only.
3. `anomaly_report` writes the HTML and XLSX report from the published audit tables.
4. `quality_gate` fails the run when anything was held back, so the failure is seen.

The raw suites run in the ingest DAGs, right after each load, over the batches it loaded.
"""

import datetime as dt

from airflow.sdk import DAG, task

from workcomp.orchestration import tasks
from workcomp.orchestration.ingest_dag import BUILD_ASSET, MARTS_ASSET, OWNER
from workcomp.orchestration.reliability import deadline, reliably, retry_args

with DAG(
    dag_id="quality_checks",
    schedule=[BUILD_ASSET],
    start_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    deadline=deadline("quality_checks"),
    doc_md=__doc__,
    tags=["quality", "audit"],
    default_args={"owner": OWNER, **retry_args()},
) as dag:

    @task
    def validate_build() -> dict[str, str]:
        return reliably(tasks.validate_build)

    @task(outlets=[MARTS_ASSET])
    def publish(held_back: dict[str, str]) -> dict:
        return reliably(tasks.publish, held_back)

    @task
    def anomaly_report() -> dict:
        return reliably(tasks.anomaly_report)

    @task
    def quality_gate(held_back: dict[str, str]) -> None:
        reliably(tasks.fail_if_held_back, held_back)

    held_back = validate_build()
    publish(held_back) >> anomaly_report() >> quality_gate(held_back)
