"""
### ingest_social_insurance — social-insurance agency feeds (人社局 / 社保经办机构)

Airflow DAG that loads every batch waiting in `landing/social_insurance/<dataset>/<batch>/`
into `raw.social_insurance__<dataset>` with COPY, quarantines rows that break the feed
contract, logs each batch in `raw.batches`, then validates the raw table with its Great
Expectations suite.

A sensor first waits until every batch is complete: the exchange writes `manifest.json`
after the data files, and the loader checks the files against it.

Datasets: insured-employer registry with insured headcount (参保单位及参保人数), monthly.
Each dataset is an Asset; `warehouse_build` runs when one is updated.
"""

from workcomp.orchestration.ingest_dag import ingest_dag

dag = ingest_dag(source="social_insurance", schedule="0 5 * * *", doc_md=__doc__)
