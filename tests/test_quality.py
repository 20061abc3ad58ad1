"""The raw suites pass on clean loads and catch what the loader would never let through."""

import pytest

from workcomp.contracts import get_contract
from workcomp.generator import generate
from workcomp.ingest.loader import load_batch
from workcomp.quality.suites import data_docs_index, run_suites

SUITES = ["raw.health__dust_enterprises", "raw.social_insurance__employers"]


@pytest.fixture
def loaded(conn, fresh_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKCOMP_GX_DIR", str(tmp_path / "gx"))
    generate(tmp_path / "landing", tmp_path / "truth.json", "tiny", seed=4)
    for source, dataset in (("health", "dust_enterprises"), ("social_insurance", "employers")):
        contract = get_contract(source, dataset)
        for batch in sorted((tmp_path / "landing" / source / dataset).iterdir()):
            load_batch(conn, contract, batch)
    return fresh_url


def test_suites_pass_on_loaded_data_and_write_data_docs(loaded):
    results = run_suites(SUITES, loaded)
    assert [(r.suite, r.success, r.failed) for r in results] == [(s, True, ()) for s in SUITES]
    assert all(r.evaluated >= 9 for r in results)
    assert data_docs_index().exists()


def test_suite_fails_on_rows_written_behind_the_loaders_back(loaded, conn):
    # A bad credit code, an unknown county and a row no batch accounts for.
    conn.execute(
        "insert into raw.health__dust_enterprises (_batch_id, _source_file, _row_number,"
        " _loaded_at, industry_category, enterprise_name, credit_code, region_code, worker_count,"
        " report_date) values ('health/dust_enterprises/2020', 'x.xlsx', 999, now(), '煤矿',"
        " '私改煤业', '911508020000000000', '150899', '10', '2020-10-09')"
    )
    (result,) = run_suites(["raw.health__dust_enterprises"], loaded)
    assert result.success is False
    failed = " | ".join(result.failed)
    assert "check digit" in failed
    assert "expect_column_values_to_be_in_set region_code" in failed
    assert "reconcile" in failed
    assert len(result.failed) == 3


def test_every_expectation_result_is_stored_in_the_warehouse(loaded, conn):
    conn.execute(
        "delete from raw.social_insurance__employers"
        " where ctid = (select min(ctid) from raw.social_insurance__employers)"
    )
    results = run_suites(["raw.social_insurance__employers"], loaded, run_id="run-1")
    rows = conn.execute(
        "select count(*), count(*) filter (where not success), min(severity), max(severity)"
        " from audit.quality_results where run_id = 'run-1'"
    ).fetchone()
    assert rows == (results[0].evaluated, len(results[0].failed), "critical", "critical")
    # deleting loaded rows breaks the reconciliation with the batch log, and only that
    (failed,) = results[0].failed
    assert "reconcile" in failed
