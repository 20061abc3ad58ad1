"""
### monthly_reports — the monthly bulletin and the statutory forms (月报与统计报表)

On the 3rd of every month, for the month before (capped at the last month the marts hold):
the pooling region's bulletin (工伤保险数据月报: HTML, and PDF when a headless Chromium is
installed) and, per county, 《职业病人员统计情况表》 (diagnoses since 1 January), 《尘肺病
重点行业企业信息一览表》 and the coverage-progress table, as Excel. Everything is read from the
published marts, so it reports the last build that passed its quality suites.
"""

import datetime as dt

from airflow.sdk import DAG, task

from workcomp.orchestration import tasks
from workcomp.orchestration.ingest_dag import OWNER
from workcomp.orchestration.reliability import deadline, reliably, retry_args

with DAG(
    dag_id="monthly_reports",
    schedule="0 6 3 * *",
    start_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    deadline=deadline("monthly_reports"),
    doc_md=__doc__,
    tags=["reports"],
    default_args={"owner": OWNER, **retry_args()},
) as dag:

    @task
    def bulletin_and_forms(logical_date=None) -> dict:
        return reliably(tasks.monthly_reports, logical_date)

    bulletin_and_forms()
