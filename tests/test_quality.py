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
