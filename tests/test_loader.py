import hashlib
import json
import random
import shutil

import pytest

from workcomp.codes import credit_code
from workcomp.contracts import all_contracts, get_contract
from workcomp.generator import generate
from workcomp.ingest.loader import BatchFailed, load_batch, pending_batches

EMPLOYERS = get_contract("social_insurance", "employers")
ROSTER = get_contract("health", "dust_enterprises")
HEADER = "统一社会信用代码,单位名称,行政区划代码,行业代码,参保人数,统计日期\n"


def _codes(n, seed=1):
    rng = random.Random(seed)
    return [credit_code(rng, "150802") for _ in range(n)]


def _employers_batch(root, name, lines, encoding="utf-8"):
    batch = root / "social_insurance" / "employers" / name
    batch.mkdir(parents=True, exist_ok=True)
    (batch / "employers.csv").write_bytes((HEADER + "".join(lines)).encode(encoding))
    return batch


def _count(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def test_good_rows_load_bad_rows_quarantine_with_every_reason(conn, tmp_path):
    a, b = _codes(2)
    lines = [
        f"{a},甲,150802,0610,10,2021-12-31\n",
        f"{b},乙,150821,0810,２０,20211231\n",          # full-width digits load
        f"{a[:-1]}0,丙,159999,0810,x,2021-12-31\n",      # three problems at once
        f"{b},丁,150822,3021,5,2099-01-01\n",            # future date
    ]  # fmt: skip
    result = load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2021-12", lines))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    loaded = conn.execute(
        "select credit_code, insured_count, snapshot_date, _row_number"
        " from raw.social_insurance__employers order by _row_number"
    ).fetchall()
    assert loaded == [(a, "10", "2021-12-31", 2), (b, "20", "2021-12-31", 3)]
    reasons = dict(conn.execute("select row_number, reasons from raw.quarantine").fetchall())
    codes = {
        n: sorted(r.split(":")[0] + ":" + r.split(":")[1] for r in rs) for n, rs in reasons.items()
    }
    assert codes == {
        4: ["credit_code:bad_check_digit", "insured_count:not_integer", "region_code:unknown_code"],
        5: ["snapshot_date:future_date"],
    }
    original = conn.execute("select original from raw.quarantine where row_number = 4").fetchone()[
        0
    ]
    assert original["insured_count"] == "x" and original["employer_name"] == "丙"
    batch = conn.execute(
        "select status, rows_read, rows_loaded, rows_quarantined from raw.batches"
    ).fetchone()
    assert batch == ("loaded", 4, 2, 2)


def test_same_batch_twice_loads_once_and_changed_redelivery_replaces(conn, tmp_path):
    a, b = _codes(2, seed=2)
    batch = _employers_batch(tmp_path, "2022-12", [f"{a},甲,150802,0610,10,2022-12-31\n"])
    assert load_batch(conn, EMPLOYERS, batch).status == "loaded"
    assert load_batch(conn, EMPLOYERS, batch).status == "skipped"
    assert _count(conn, "select count(*) from raw.social_insurance__employers") == 1
    _employers_batch(tmp_path, "2022-12", [f"{a},甲,150802,0610,12,2022-12-31\n",
                                          f"{b},乙,150802,0610,7,2022-12-31\n"])  # fmt: skip
    result = load_batch(conn, EMPLOYERS, batch)
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    rows = conn.execute(
        "select credit_code, insured_count from raw.social_insurance__employers order by 1"
    ).fetchall()
    assert rows == sorted([(a, "12"), (b, "7")])


def test_unreadable_redelivery_fails_naming_file_and_keeps_earlier_data(conn, tmp_path):
    a = _codes(1, seed=3)[0]
    batch = _employers_batch(tmp_path, "2021-12", [f"{a},甲,150802,0610,10,2021-12-31\n"])
    load_batch(conn, EMPLOYERS, batch)
    (batch / "employers.csv").write_bytes("单位名称,参保人数\n甲,10\n".encode())
    with pytest.raises(BatchFailed, match=r"employers\.csv: missing required columns"):
        load_batch(conn, EMPLOYERS, batch)
    assert conn.execute(
        "select credit_code, insured_count from raw.social_insurance__employers"
    ).fetchall() == [(a, "10")]
    statuses = conn.execute("select status, message from raw.batches order by batch_id").fetchall()
    assert statuses[0] == ("loaded", None)
    assert statuses[1][0] == "failed" and "employers.csv" in statuses[1][1]


def test_corrupt_workbook_fails_its_batch_only(conn, tmp_path):
    generate(tmp_path, tmp_path / "truth.json", "tiny", seed=3)
    good = tmp_path / "health" / "dust_enterprises" / "2020"
    bad = tmp_path / "health" / "dust_enterprises" / "2021"
    next(bad.glob("*.xlsx")).write_bytes(b"PK\x03\x04garbage")
    assert load_batch(conn, ROSTER, good).status == "loaded"
    with pytest.raises(BatchFailed, match=r"\.xlsx: not a readable xlsx workbook"):
        load_batch(conn, ROSTER, bad)
    assert _count(conn, "select count(distinct _batch_id) from raw.health__dust_enterprises") == 1
    assert _count(conn, "select count(*) from raw.batches where status = 'failed'") == 1


def test_manifest_is_verified_when_present(conn, tmp_path):
    a = _codes(1, seed=4)[0]
    batch = _employers_batch(tmp_path, "2021-06", [f"{a},甲,150802,0610,10,2021-06-30\n"])
    data = (batch / "employers.csv").read_bytes()
    manifest = {
        "files": [{"file": "employers.csv", "rows": 2, "sha256": hashlib.sha256(data).hexdigest()}]
    }
    wrong = {"files": [{"file": "employers.csv", "rows": 1, "sha256": "0" * 64}]}
    (batch / "manifest.json").write_text(json.dumps(wrong))
    with pytest.raises(BatchFailed, match=r"employers\.csv: sha256 [0-9a-f]{64} differs"):
        load_batch(conn, EMPLOYERS, batch)
    (batch / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        BatchFailed, match=r"employers\.csv: 1 data rows read, the manifest promises 2"
    ):
        load_batch(conn, EMPLOYERS, batch)
    manifest["files"][0]["rows"] = 1
    (batch / "manifest.json").write_text(json.dumps(manifest))
    assert load_batch(conn, EMPLOYERS, batch).rows_loaded == 1
    # the batch checksum (what re-deliveries are compared with) is sha256 over each file's
    # name and the sha256 of its bytes
    expected = hashlib.sha256(b"employers.csv" + hashlib.sha256(data).digest()).hexdigest()
    assert _count(conn, f"select count(*) from raw.batches where sha256 = '{expected}'") == 1
    shutil.copy(batch / "employers.csv", batch / "extra.csv")
    with pytest.raises(BatchFailed, match=r"extra\.csv: delivered but not listed"):
        load_batch(conn, EMPLOYERS, batch)


def test_every_generated_batch_reconciles_with_the_generators_truth(conn, tmp_path):
    """Each dataset: rows read = rows written, quarantined = rows made dirty on purpose."""
    truth = generate(tmp_path / "landing", tmp_path / "truth.json", "tiny", seed=8)
    for table, contract in all_contracts().items():
        expected = truth["datasets"][table]
        read = loaded = quarantined = 0
        for batch in pending_batches(tmp_path / "landing", contract):
            result = load_batch(conn, contract, batch)
            read += result.rows_read
            loaded += result.rows_loaded
            quarantined += result.rows_quarantined
        assert (read, quarantined) == (expected["rows"], expected.get("dirty", 0)), table
        assert loaded == expected["rows"] - expected.get("dirty", 0), table
    unbalanced = (
        "select count(*) from raw.batches where rows_read <> rows_loaded + rows_quarantined"
    )
    assert _count(conn, unbalanced) == 0
    # Every dirty row names the column the generator broke.
    by_column = dict(conn.execute(
        "select dataset || '.' || split_part(reasons[1], ':', 1), count(*) from raw.quarantine"
        " group by 1").fetchall())  # fmt: skip
    planted = {
        f"{table.split('__', 1)[1]}.{key.removeprefix('dirty:')}": n
        for table, stats in truth["datasets"].items()
        for key, n in stats.items()
        if key.startswith("dirty:")
    }
    assert by_column == planted


def test_each_row_names_its_batch_and_file_and_a_row_without_them_is_refused(conn, tmp_path):
    """Two files of one batch, a workbook-free CSV pair: every raw row carries its own file's
    name and the batch id, though the loader sends only the line number per row."""
    import psycopg

    a, b, c = _codes(3, seed=5)
    batch = _employers_batch(tmp_path, "2022-06", [f"{a},甲,150802,0610,10,2022-06-30\n"])
    (batch / "employers_more.csv").write_bytes(
        (HEADER + f"{b},乙,150821,0810,3,2022-06-30\n{c},丙,150822,0810,4,2022-06-30\n")
        .encode("gb18030")
    )
    load_batch(conn, EMPLOYERS, batch)
    lineage = conn.execute(
        "select _batch_id, _source_file, _row_number, credit_code"
        " from raw.social_insurance__employers order by _source_file, _row_number"
    ).fetchall()
    assert lineage == [
        ("social_insurance/employers/2022-06", "employers.csv", 2, a),
        ("social_insurance/employers/2022-06", "employers_more.csv", 2, b),
        ("social_insurance/employers/2022-06", "employers_more.csv", 3, c),
    ]
    # Rows are stored with a file id alone; the view joins the batch and file name back in.
    stored = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'raw_store'"
        " and table_name = 'social_insurance__employers' and column_name like '\\_%'"
    ).fetchall()
    assert sorted(stored) == [("_file_id",), ("_row_number",)]
    # Outside the loader nobody has named a file: the row cannot land without lineage.
    with pytest.raises(psycopg.errors.NotNullViolation, match="_file_id"):
        conn.execute(
            "insert into raw_store.social_insurance__employers (_row_number, credit_code)"
            " values (9, %s)", (a,)
        )


def test_an_earlier_loaders_raw_table_moves_into_the_store_with_its_lineage(conn, tmp_path):
    """A raw table whose rows carried their batch and file as text becomes stored rows and a
    view on the next load: every row is still there with its batch, file, line and load time,
    and a re-delivery loaded later still wins over the earlier load."""
    from workcomp.ingest.loader import bootstrap

    bootstrap(conn)
    conn.execute(
        "create table raw.social_insurance__employers (_batch_id text not null,"
        " _source_file text not null, _row_number integer not null,"
        " _loaded_at timestamptz not null, credit_code text, employer_name text)"
    )
    conn.execute(
        "insert into raw.social_insurance__employers values"
        " ('social_insurance/employers/2020-02', 'b.csv', 2, '2020-03-01 08:00+08', 'k1', '甲'),"
        " ('social_insurance/employers/2020-01', 'a.csv', 3, '2020-02-01 08:00+08', 'k2', '乙'),"
        " ('social_insurance/employers/2020-01', 'a.csv', 2, '2020-02-01 08:00+08', 'k1', '丙')"
    )
    (a,) = _codes(1, seed=6)
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2022-07",
                                                 [f"{a},丁,150802,0610,10,2022-07-31\n"]))
    assert _count(conn, "select relkind::text from pg_class where oid ="
                        " 'raw.social_insurance__employers'::regclass") == "v"  # fmt: skip
    rows = conn.execute(
        "select _batch_id, _source_file, _row_number, to_char(_loaded_at at time zone"
        " 'Asia/Shanghai', 'YYYY-MM-DD'), credit_code, employer_name"
        " from raw.social_insurance__employers order by _file_id, _row_number"
    ).fetchall()
    assert rows[:3] == [  # files numbered in the order they were loaded
        ("social_insurance/employers/2020-01", "a.csv", 2, "2020-02-01", "k1", "丙"),
        ("social_insurance/employers/2020-01", "a.csv", 3, "2020-02-01", "k2", "乙"),
        ("social_insurance/employers/2020-02", "b.csv", 2, "2020-03-01", "k1", "甲"),
    ]
    assert [r[:3] + r[4:] for r in rows[3:]] == [
        ("social_insurance/employers/2022-07", "employers.csv", 2, a, "丁")
    ]
    # The old batch delivered again replaces its moved rows.
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2020-01",
                                                 [f"{a},戊,150802,0610,10,2020-01-31\n"]))
    assert conn.execute(
        "select _batch_id, credit_code from raw.social_insurance__employers"
        " where _batch_id like '%2020-01'"
    ).fetchall() == [("social_insurance/employers/2020-01", a)]
    assert _count(conn, "select count(*) from raw_store.social_insurance__employers") == 3


def test_a_load_keeps_other_loads_of_its_feed_waiting_but_not_readers(conn, fresh_url, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    """Midway through a load (its file about to be copied), a reader of the raw table is
    answered at once and sees the rows loaded before, while another load of the same feed
    would have to wait."""
    import psycopg

    from workcomp.ingest import loader

    first, second = _codes(2, seed=8)
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2022-06",
                                                 [f"{first},甲,150802,0610,10,2022-06-30\n"]))
    seen = {}
    load_file = loader._load_file

    def observed(cur, contract, *args, **kwargs):
        with psycopg.connect(fresh_url, autocommit=True) as other:
            other.execute("set lock_timeout = '2s'")
            seen["rows"] = other.execute(
                "select credit_code from raw.social_insurance__employers").fetchall()  # fmt: skip
            seen["load lock free"] = other.execute(
                "select pg_try_advisory_lock(hashtext(%s))", (loader.load_lock(EMPLOYERS),)
            ).fetchone()[0]
        return load_file(cur, contract, *args, **kwargs)

    monkeypatch.setattr(loader, "_load_file", observed)
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2022-07",
                                                 [f"{second},乙,150802,0610,12,2022-07-31\n"]))
    assert seen == {"rows": [(first,)], "load lock free": False}
    assert _count(conn, "select count(*) from raw.social_insurance__employers") == 2


def test_a_column_the_contract_gains_is_added_to_the_stored_rows_and_the_view(conn, tmp_path):
    """A feed whose contract gained a column: the next load adds it to the stored table and
    to the view, the rows loaded before show it empty, and the view keeps its other columns."""
    import dataclasses

    without = dataclasses.replace(
        EMPLOYERS, columns=tuple(c for c in EMPLOYERS.columns if c.name != "snapshot_date")
    )
    a, b = _codes(2, seed=9)
    load_batch(conn, without, _employers_batch(tmp_path, "2022-08",
                                               [f"{a},甲,150802,0610,10,2022-08-31\n"]))
    assert "snapshot_date" not in _view_columns(conn)
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2022-09",
                                                 [f"{b},乙,150802,0610,11,2022-09-30\n"]))
    assert _view_columns(conn)[-1] == "snapshot_date"
    assert conn.execute(
        "select credit_code, insured_count, snapshot_date from raw.social_insurance__employers"
        " order by _file_id"
    ).fetchall() == [(a, "10", None), (b, "11", "2022-09-30")]


def _view_columns(conn):
    return [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'social_insurance__employers' order by ordinal_position"
        )
    ]


@pytest.mark.parametrize("set_based", [True, False])
def test_rows_the_database_does_not_store_fail_the_batch_and_keep_the_earlier_load(
    conn, tmp_path, set_based
):
    """A trigger that drops one row in three on its way into the stored table: Postgres
    reports fewer rows stored than were sent, and the batch fails with the counts, whether
    the file went columnar or row by row; the earlier load stays as it was."""
    codes = _codes(30, seed=8)
    line = "{},甲,150802,0610,10,2021-12-31\n"
    load_batch(conn, EMPLOYERS, _employers_batch(tmp_path, "2021-11", [line.format(codes[0])]))
    conn.execute("""
        create function pg_temp.eat_rows() returns trigger language plpgsql as $$
        begin return case when new._row_number % 3 = 0 then null else new end; end $$""")
    conn.execute("create trigger eat_rows before insert on raw_store.social_insurance__employers"
                 " for each row execute function pg_temp.eat_rows()")  # fmt: skip
    batch = _employers_batch(tmp_path, "2021-12", [line.format(c) for c in codes])
    lost = r"rows do not reconcile: 30 rows sent to raw_store\.social_insurance__employers.*, 20 st"
    with pytest.raises(BatchFailed, match=lost):
        load_batch(conn, EMPLOYERS, batch, set_based=set_based)
    conn.execute("drop trigger eat_rows on raw_store.social_insurance__employers")
    assert conn.execute(
        "select _batch_id, credit_code from raw.social_insurance__employers"
    ).fetchall() == [("social_insurance/employers/2021-11", codes[0])]
    status = conn.execute(
        "select status, message from raw.batches where batch_id like '%2021-12'"
    ).fetchone()
    assert status[0] == "failed" and "30 rows sent" in status[1] and "20 stored" in status[1]
