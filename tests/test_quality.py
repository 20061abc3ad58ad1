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
    (file_id,) = conn.execute(
        "insert into raw.files (file_id, raw_table, batch_id, source_file) values"
        " (nextval('raw.file_ids'), 'health__dust_enterprises', 'health/dust_enterprises/2020',"
        " 'x.xlsx') returning file_id"
    ).fetchone()
    conn.execute(
        "insert into raw_store.health__dust_enterprises (_file_id, _row_number,"
        " industry_category, enterprise_name, credit_code, region_code, worker_count,"
        " report_date) values (%s, 999, '煤矿',"
        " '私改煤业', '911508020000000000', '150899', '10', '2020-10-09')",
        (file_id,),
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
        "delete from raw_store.social_insurance__employers"
        " where ctid = (select min(ctid) from raw_store.social_insurance__employers)"
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


def test_an_ingest_run_validates_only_the_batches_it_loaded(loaded, conn):
    """A row broken behind the loader's back fails a validation of its batch and a full one,
    not a validation of another batch; the row-count reconciliation follows the same scope,
    and a run that loaded nothing validates no row."""
    table = "raw.health__dust_enterprises"
    sizes = conn.execute(
        f"select _batch_id, count(*) from {table} group by 1 order by 1").fetchall()  # fmt: skip
    assert len(sizes) >= 2 and sizes[0][1] >= 2
    (first, _), (last, last_rows) = sizes[0], sizes[-1]
    # One row of the first batch gone (before the update: an updated row moves to a new ctid).
    stored = "raw_store.health__dust_enterprises"
    of_first = "_file_id = any(array(select file_id from raw.files where batch_id = %s))"
    conn.execute(f"delete from {stored} where ctid = (select max(ctid) from {stored}"
                 f" where {of_first})", (first,))  # fmt: skip
    conn.execute(
        f"update {stored} set credit_code = '911508020000000000'"
        f" where ctid = (select min(ctid) from {stored} where {of_first})", (first,),
    )  # fmt: skip
    suite = ["raw.health__dust_enterprises"]

    (of_last,) = run_suites(suite, loaded, run_id="last", batches=[last])
    assert (of_last.success, of_last.failed) == (True, ())
    [(checked,)] = conn.execute(
        "select distinct element_count from audit.quality_results where run_id = 'last'"
        " and expectation = 'expect_column_values_to_not_be_null'").fetchall()  # fmt: skip
    assert checked == last_rows  # the batch's rows, not the table's

    for run in (run_suites(suite, loaded, batches=[first]), run_suites(suite, loaded)):
        (result,) = run
        assert result.success is False
        assert len(result.failed) == 2
        assert "check digit" in result.failed[0] + result.failed[1]
        assert "reconcile" in result.failed[0] + result.failed[1]

    (nothing,) = run_suites(suite, loaded, batches=[])
    assert nothing.success
    (quoted,) = run_suites(suite, loaded, batches=["health/dust_enterprises/o'brien"])
    assert quoted.success  # an agency's folder name is data, not SQL


PEAK_OF_TWO_VALIDATIONS = """
import json, resource, sys
from workcomp.quality.suites import run_suites

url, small, wide = sys.argv[1:]
suite = ["raw.health__dust_enterprises"]
run_suites(suite, url, batches=[small])  # imports, GX context and a batch's metrics, warmed up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run_suites(suite, url, batches=[wide])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_mib": (after - before) / 1024}))
"""


def test_validating_a_batch_leaves_its_rows_in_the_warehouse(loaded, conn):
    """A batch's rows are counted and matched in Postgres, not fetched: GX learns a query's
    columns by running it unless the batch is a table, and a province's backfill of
    contributions once brought 8.5 GiB into the validating process this way."""
    import json
    import subprocess
    import sys

    batches = conn.execute(
        "select batch_id, min(file_id) from raw.files where raw_table = 'health__dust_enterprises'"
        " group by 1 order by 1").fetchall()  # fmt: skip
    (small, _), (wide, wide_file) = batches[-1], batches[0]
    # 30,000 rows of 9 KB names: 270 MB to a client that fetched them (stored compressed).
    conn.execute(
        "insert into raw_store.health__dust_enterprises (_file_id, _row_number,"
        " industry_category, enterprise_name, credit_code, region_code, worker_count,"
        " report_date) select %s, 100000 + i, '煤矿', repeat('企', 3000) || i,"
        " '911508020000000000', '150899', '10', '2020-10-09' from generate_series(1, 30000) i",
        (wide_file,),
    )
    out = subprocess.run(
        [sys.executable, "-c", PEAK_OF_TWO_VALIDATIONS, loaded, small, wide],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    growth = json.loads(out.strip().splitlines()[-1])["growth_mib"]
    assert growth < 100, f"validating the wide batch grew the process by {growth:.0f} MiB"
