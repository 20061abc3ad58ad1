"""
### ingest_health — health department feeds (卫生健康委)

Airflow DAG that loads every batch waiting in `landing/health/<dataset>/<batch>/` into
`raw.health__<dataset>` with COPY, quarantines rows that break the feed contract
(`raw.quarantine`, with every reason), logs each batch in `raw.batches`, then validates the
raw table with its Great Expectations suite (`expectations/suites/raw.health__*.yml`).

A sensor first waits until every batch is complete: this department sends no manifest, so a
batch folder must have been quiet for 60 s, with no upload or open workbook (`~$*.xlsx`) in it.

Datasets: dust-hazard enterprise roster (尘肺病重点行业企业信息一览表, seed 001 Attachment 2).
A batch already loaded with the same content is skipped; a changed re-delivery replaces it.
Each dataset is an Asset; `warehouse_build` runs when one is updated.
"""

from workcomp.orchestration.ingest_dag import ingest_dag

# The roster is reported twice a year; scanning the landing folder daily costs nothing.
dag = ingest_dag(source="health", schedule="0 6 * * *", doc_md=__doc__)
