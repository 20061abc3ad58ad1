"""
### ingest_public_security — public security feeds (公安局)

Airflow DAG that loads every batch waiting in `landing/public_security/<dataset>/<batch>/`
(JSON Lines from the data-exchange platform) into `raw.public_security__<dataset>` with COPY,
quarantines rows that break the feed contract, logs each batch in `raw.batches`, then
validates the raw table with its Great Expectations suite where one exists.

A sensor first waits until every batch is complete: no manifest is sent, so a batch folder
must have been quiet for 60 s with no upload in progress.

Datasets: road-traffic accidents with liability findings (道路交通事故责任认定) and deaths /
household-register cancellations (死亡及户籍注销), used to stop the insurance of the dead.
"""

from workcomp.orchestration.ingest_dag import ingest_dag

dag = ingest_dag(source="public_security", schedule="0 4 * * *", doc_md=__doc__)
