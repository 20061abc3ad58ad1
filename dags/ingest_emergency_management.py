"""
### ingest_emergency_management — emergency management feeds (应急管理局)

Airflow DAG that loads every batch waiting in `landing/emergency_management/<dataset>/<batch>/`
into `raw.emergency_management__<dataset>` with COPY, quarantines rows that break the feed
contract (`raw.quarantine`), logs each batch in `raw.batches`, then validates the raw table
with its Great Expectations suite where one exists.

A sensor first waits until every batch is complete: no manifest is sent, so a batch folder
must have been quiet for 60 s with no upload in progress.

Datasets: production-safety accidents (生产安全事故) and occupational-hazard monitoring
(职业病危害因素监测, 浓(强)度 against the limit). Accidents are reported daily.
"""

from workcomp.orchestration.ingest_dag import ingest_dag

dag = ingest_dag(source="emergency_management", schedule="0 7 * * *", doc_md=__doc__)
