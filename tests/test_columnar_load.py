"""The columnar CSV path (Arrow, whole-column checks) gives exactly what the row-by-row Python
path gives: the same rows in raw with the same canonical text, the same quarantined rows with
the same reasons, the same counts. Property-based over every CSV feed's example file with
cells swapped for awkward but plausible spellings; every example is loaded both ways into a
real Postgres."""

import csv
import io
import random
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workcomp.benchmark.contributions_file import write_contributions
from workcomp.contracts import all_contracts, get_contract
from workcomp.ingest import csv_columnar
from workcomp.ingest.loader import bootstrap, ensure_raw_table, load_batch
from workcomp.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
CSV_FEEDS = sorted(k for k, c in all_contracts().items() if (EXAMPLES / f"{c.table}.csv").exists())
CONTRIBUTIONS = get_contract("social_insurance", "contributions")

# Spellings the exchange and agencies really send, valid and not, in every column type.
AWKWARD = [
    "", " ", "\u3000", "202403", "2024-03", "2024/3", "2024年3月", "202413", "209912", " 202403",
    "２０２４０３", "2024-02-29", "2023-02-29", "2024/02/01", "20240201", "1899-12-31",
    "2099-01-01", "2024年3月5日", "2024年3月5", "2024.3.5", "2024-3-5", "2024-3/5",
    "8731", "8731.5", "0.0228", "0.02285", "1e3", "-5", "007", "1,234.50",
    "99999999999", "150826196209271192", "150826196209271193", "15082619620927119x",
    "91150826340814852A", "91150826340814852B", "150802", "999999", "是", "否", "男", "女",
    "a,b", 'say "hi"', "=HYPERLINK(1)", "  padded  ", "x\u3000y", "长" * 50,
]  # fmt: skip


def _example_rows(contract):
    text = (EXAMPLES / f"{contract.table}.csv").read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _write(rows, encoding) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _probe_file(cur, contract, name) -> int:
    """A raw.files row for rows copied by hand in this transaction, as the loader makes one."""
    from workcomp.ingest.lineage import set_lineage

    (file_id,) = cur.execute(
        "insert into raw.files (file_id, raw_table, batch_id, source_file)"
        " values (nextval('raw.file_ids'), %s, 'probe', %s) returning file_id",
        (contract.table, name),
    ).fetchone()
    set_lineage(cur, file_id)
    return file_id


def _snapshot(conn, contract):
    names = ", ".join(["_source_file", "_row_number", *(c.name for c in contract.all_fields)])
    raw = conn.execute(f"select {names} from raw.{contract.table} order by _row_number").fetchall()
    quarantine = conn.execute(
        "select source_file, row_number, original, reasons from raw.quarantine order by row_number"
    ).fetchall()
    return raw, quarantine


def _load_both_ways(conn, tmp_path, contract, data: bytes):
    results = []
    for set_based in (True, False):
        batch = tmp_path / contract.source / contract.dataset / f"b{uuid.uuid4().hex[:8]}"
        batch.mkdir(parents=True)
        (batch / "delivery.csv").write_bytes(data)
        result = load_batch(conn, contract, batch, set_based=set_based)
        results.append(((result.rows_read, result.rows_loaded, result.rows_quarantined),
                        _snapshot(conn, contract)))  # fmt: skip
        conn.execute(f"truncate raw_store.{contract.table}, raw.files, raw.quarantine")
        conn.execute("delete from raw.batches")
    return results


@pytest.fixture
def warehouse(conn):
    bootstrap(conn)
    return conn


SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=30, deadline=timedelta(seconds=60), suppress_health_check=SLOW_OK)
@given(
    feed=st.sampled_from(CSV_FEEDS),
    swaps=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 50),
                             st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12))),
                   max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)  # fmt: skip
@example(feed="social_insurance__contributions", swaps=[(0, 4, "0.02285")], encoding="utf-8")
@example(feed="social_insurance__contributions", swaps=[(3, 2, "2024-3")], encoding="gb18030")
@example(feed="social_insurance__contributions", swaps=[(0, 7, "2024年3月5日"), (1, 7, "2024.3.5")],
         encoding="gb18030")
@example(feed="social_insurance__enrolment_changes", swaps=[(1, 0, "a\nb")], encoding="utf-8")
@example(feed="emergency_management__hazard_monitoring", swaps=[(0, 0, "\r")], encoding="utf-8")
def test_columnar_and_row_by_row_loads_agree(warehouse, tmp_path, feed, swaps, encoding):
    contract = all_contracts()[feed]
    header, rows = _example_rows(contract)
    rows = [list(r) for r in rows]
    for row_pick, column_pick, value in swaps:
        row = rows[row_pick % len(rows)]
        try:
            value.encode(encoding)
        except UnicodeEncodeError:
            continue
        row[column_pick % len(row)] = value
    columnar, row_by_row = _load_both_ways(warehouse, tmp_path, contract,
                                           _write([header, *rows], encoding))  # fmt: skip
    assert columnar[0] == row_by_row[0]
    assert columnar[1][0] == row_by_row[1][0]  # raw rows, canonical text, row numbers
    assert columnar[1][1] == row_by_row[1][1]  # quarantined rows and their reasons


def test_a_clean_province_style_file_goes_columnar_and_keeps_every_value(warehouse, tmp_path):
    """The generator's file: its planted bad check digits are the quarantine, every rate
    keeps its four places, and the columnar path took the file (not the fallback)."""
    batch = tmp_path / "social_insurance" / "contributions" / "2025-12"
    batch.mkdir(parents=True)
    path = batch / "contributions_2025-12.csv"
    dirty = write_contributions(path, 5_000, seed=3, dirty_share=0.01)
    with path.open(encoding="utf-8", newline="") as fh:
        delivered = list(csv.reader(fh))[1:]

    ensure_raw_table(warehouse, CONTRIBUTIONS)
    with warehouse.transaction(), warehouse.cursor() as cur:
        file_id = _probe_file(cur, CONTRIBUTIONS, path.name)
        taken = csv_columnar.load_columnar(
            cur, CONTRIBUTIONS, path,
            lambda pairs: (len(list(pairs)), 0, []),  # leftovers counted, not loaded
            file_id,
        )  # fmt: skip
        in_raw = warehouse.execute(f"select count(*) from raw.{CONTRIBUTIONS.table}").fetchone()
        assert taken == (5_000, 5_000 - dirty, [])
        assert in_raw[0] == 5_000 - dirty  # all but the planted rows, set-based
        raise psycopg.Rollback()
    result = load_batch(warehouse, CONTRIBUTIONS, batch)
    assert (result.rows_read, result.rows_quarantined) == (5_000, dirty)
    # Every row of the batch carries one load time, between the batch's start and finish.
    [(stamps, inside)] = warehouse.execute(
        f"select count(distinct r._loaded_at), bool_and(r._loaded_at between b.started_at"
        f" and b.finished_at) from raw.{CONTRIBUTIONS.table} as r"
        " join raw.batches as b on b.batch_id = r._batch_id").fetchall()  # fmt: skip
    assert (stamps, inside) == (1, True)
    reasons = warehouse.execute("select reasons from raw.quarantine").fetchall()
    assert len(reasons) == dirty
    assert all(len(r) == 1 and r[0].startswith("resident_id:bad_check_digit:") for (r,) in reasons)
    rates = dict(warehouse.execute(
        f"select _row_number, rate from raw.{CONTRIBUTIONS.table}").fetchall())  # fmt: skip
    assert len(rates) == 5_000 - dirty
    for number, row in enumerate(delivered, start=2):
        if number in rates:
            assert rates[number] == f"{Decimal(row[4]):.4f}"  # 0.0228 stays 0.0228


def test_files_arrow_would_read_differently_go_row_by_row(warehouse, tmp_path):
    header, rows = _example_rows(CONTRIBUTIONS)
    ragged = _write([header, rows[0], rows[1][:-1], rows[2]], "utf-8")
    line_break = _write([header, rows[0], [rows[1][0] + "\n", *rows[1][1:]]], "utf-8")
    ensure_raw_table(warehouse, CONTRIBUTIONS)
    for data in (ragged, line_break):
        path = tmp_path / f"{random.randrange(10**9)}.csv"
        path.write_bytes(data)
        with warehouse.transaction(), warehouse.cursor() as cur:
            file_id = _probe_file(cur, CONTRIBUTIONS, path.name)
            assert csv_columnar.load_columnar(
                cur, CONTRIBUTIONS, path,
                lambda pairs: (0, 0, []),
                file_id,
            ) is None  # fmt: skip
            in_raw = "select count(*) from raw.social_insurance__contributions"
            assert warehouse.execute(in_raw).fetchone()[0] == 0


def test_blank_lines_keep_the_row_numbers_a_text_editor_shows(warehouse, tmp_path):
    header, rows = _example_rows(CONTRIBUTIONS)
    batch = tmp_path / "social_insurance" / "contributions" / "2024-01"
    batch.mkdir(parents=True)
    data = _write([header, rows[0]], "utf-8") + b"\r\n,,,,,,,\r\n" + _write([rows[1]], "utf-8")
    (batch / "c.csv").write_bytes(data)
    result = load_batch(warehouse, CONTRIBUTIONS, batch)
    assert (result.rows_read, result.rows_loaded) == (2, 2)  # blank lines are not rows
    numbers = warehouse.execute(
        f"select _row_number from raw.{CONTRIBUTIONS.table} order by 1"
    ).fetchall()
    assert numbers == [(2,), (5,)]  # header is line 1, the second row is on line 5


def test_repeated_values_are_judged_row_by_row_once_per_distinct_value(warehouse, tmp_path):
    """Periods, dates, rates and employers repeat down a monthly file, and each distinct value
    is checked once; every row holding a bad one is still quarantined, and only those."""
    header, rows = _example_rows(CONTRIBUTIONS)
    bad = {"paid_date": "2023-02-29", "period": "202413", "rate": "0.06"}  # rate max 0.05
    position = {"period": 2, "rate": 4, "paid_date": 7}
    delivered, expected_bad = [], {}
    for i in range(600):
        row = list(rows[i % len(rows)])
        row[position["paid_date"]] = "2024年3月5日"  # one spelling, valid, in every good row
        column = ("paid_date", "period", "rate", None, None)[i % 5]
        if column:
            row[position[column]] = bad[column]
            expected_bad[i + 2] = column  # header is line 1
        delivered.append(row)
    batch = tmp_path / "social_insurance" / "contributions" / "2024-03"
    batch.mkdir(parents=True)
    (batch / "c.csv").write_bytes(_write([header, *delivered], "utf-8"))
    result = load_batch(warehouse, CONTRIBUTIONS, batch)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (600, 240, 360)
    quarantined = dict(warehouse.execute(
        "select row_number, reasons from raw.quarantine").fetchall())  # fmt: skip
    assert set(quarantined) == set(expected_bad)
    for number, column in expected_bad.items():
        assert [r.split(":")[0] for r in quarantined[number]] == [column]
    dates = warehouse.execute(
        f"select distinct paid_date from raw.{CONTRIBUTIONS.table}").fetchall()  # fmt: skip
    assert dates == [("2024-03-05",)]


def _contributions_batch(tmp_path, name, rows, seed):
    batch = tmp_path / "social_insurance" / "contributions" / name
    batch.mkdir(parents=True)
    dirty = write_contributions(batch / f"contributions_{name}.csv", rows, seed=seed,
                                dirty_share=0.01)  # fmt: skip
    return batch, dirty


def test_a_large_file_is_written_over_two_connections_and_published_at_once(
    warehouse, tmp_path, monkeypatch
):
    """Blocks of a file into a table made before the load are copied over a second connection
    too. Those rows are committed before the load, yet no view shows them until the load
    commits; the same file loaded over one connection gives the same rows."""
    from workcomp.ingest import loader

    monkeypatch.setattr(csv_columnar, "BLOCK_BYTES", 64 << 10)  # about 700 rows a block
    monkeypatch.setattr(csv_columnar, "FIRST_BLOCK_BYTES", 50_000)  # cut mid-row, at a line feed
    with warehouse.transaction():
        loader.ensure_raw_table(warehouse, CONTRIBUTIONS)
    second_rows, seen_midway = [], []
    commit = csv_columnar.SecondWriter.commit

    def observed(self):
        second_rows.append(commit(self))
        with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as other:
            seen_midway.append(other.execute(
                f"select count(*) from raw.{CONTRIBUTIONS.table}").fetchone()[0])  # fmt: skip
        return second_rows[-1]

    monkeypatch.setattr(csv_columnar.SecondWriter, "commit", observed)
    batch, dirty = _contributions_batch(tmp_path, "2025-11", 20_000, seed=11)
    result = load_batch(warehouse, CONTRIBUTIONS, batch)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        20_000, 20_000 - dirty, dirty)  # fmt: skip
    assert len(second_rows) == 1 and 0 < second_rows[0] < 20_000 - dirty
    assert seen_midway == [0]  # committed by the second connection, not yet published
    assert warehouse.execute("select count(*) from raw.unpublished_files").fetchone() == (0,)
    names = ", ".join(["_row_number", *(c.name for c in CONTRIBUTIONS.all_fields)])
    rows = f"select {names} from raw.{CONTRIBUTIONS.table} order by _row_number"
    both = warehouse.execute(rows).fetchall()

    # The same file over one connection, read without the small first block: the same rows.
    monkeypatch.setenv("WORKCOMP_COPY_CONNECTIONS", "1")
    monkeypatch.setattr(csv_columnar, "FIRST_BLOCK_BYTES", 1 << 30)
    warehouse.execute(f"truncate raw_store.{CONTRIBUTIONS.table}, raw.files, raw.quarantine,"
                      " raw.batches")  # fmt: skip
    load_batch(warehouse, CONTRIBUTIONS, batch)
    one = warehouse.execute(rows).fetchall()
    assert len(one) == 20_000 - dirty and one == both
    assert len(second_rows) == 1  # no second connection this time
    monkeypatch.setenv("WORKCOMP_COPY_CONNECTIONS", "3")
    with pytest.raises(ValueError, match="WORKCOMP_COPY_CONNECTIONS must be 1 or 2"):
        loader.copy_connections()


def test_rows_a_failed_load_stored_are_never_shown_and_are_deleted(warehouse, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    """The second connection's rows are committed before the load's own transaction. A load
    that fails after that (here: fewer rows than its manifest promises) deletes them; one that
    dies leaves them unpublished, invisible, until the next load of the feed deletes them."""
    import json

    from workcomp.ingest import loader

    monkeypatch.setattr(csv_columnar, "BLOCK_BYTES", 64 << 10)
    with warehouse.transaction():
        loader.ensure_raw_table(warehouse, CONTRIBUTIONS)
    stored = f"select count(*) from raw_store.{CONTRIBUTIONS.table}"
    shown = f"select count(*) from raw.{CONTRIBUTIONS.table}"
    unpublished = "select count(*) from raw.unpublished_files"

    batch, _ = _contributions_batch(tmp_path, "2025-10", 10_000, seed=12)
    (batch / "manifest.json").write_text(json.dumps(
        {"files": [{"file": "contributions_2025-10.csv", "rows": 10_001}]}))  # fmt: skip
    with pytest.raises(loader.BatchFailed, match="the manifest promises 10001"):
        load_batch(warehouse, CONTRIBUTIONS, batch)
    assert [warehouse.execute(q).fetchone()[0] for q in (stored, shown, unpublished)] == [0, 0, 0]

    # A load that dies once its second connection has committed (no failure is recorded).
    class Died(Exception):
        pass

    commit = csv_columnar.SecondWriter.commit

    def commit_then_die(self):
        commit(self)
        raise Died()

    monkeypatch.setattr(csv_columnar.SecondWriter, "commit", commit_then_die)
    batch, _ = _contributions_batch(tmp_path, "2025-09", 10_000, seed=13)
    with pytest.raises(Died):
        load_batch(warehouse, CONTRIBUTIONS, batch)
    left = warehouse.execute(stored).fetchone()[0]
    assert left > 0 and warehouse.execute(shown).fetchone()[0] == 0
    assert warehouse.execute(unpublished).fetchone()[0] == 1

    monkeypatch.setattr(csv_columnar.SecondWriter, "commit", commit)
    small = tmp_path / "later" / "social_insurance" / "contributions" / "2025-08"
    small.mkdir(parents=True)
    dirty = write_contributions(small / "c.csv", 100, seed=14, dirty_share=0)
    result = load_batch(warehouse, CONTRIBUTIONS, small)
    assert (result.rows_loaded, dirty) == (100, 0)
    assert [warehouse.execute(q).fetchone()[0] for q in (stored, shown, unpublished)] == [
        100, 100, 0]  # fmt: skip


def _mutations(rng: random.Random, valid: list[str], alphabet: str) -> list[str]:
    """Each valid number, and copies with one character changed, two swapped, one dropped or
    added, lower case, a full-width digit or a space: what typing and exports do to them."""
    out = []
    for number in valid:
        i = rng.randrange(len(number))
        j = min(i + 1, len(number) - 1)
        swapped = list(number)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        out += [
            number,
            number[:i] + rng.choice(alphabet) + number[i + 1 :],
            "".join(swapped),
            number[:i] + number[i + 1 :],
            number + rng.choice(alphabet),
            number.lower(),
            number[:i] + chr(0xFF10 + int(number[i])) + number[i + 1 :]
            if number[i].isdigit() else number,
            number[:i] + " " + number[i + 1 :],
        ]  # fmt: skip
    return out


def test_columnar_check_digits_agree_with_stdnum():
    """Whole-column GB 11643 and GB 32100 checks say "valid" exactly where python-stdnum's
    check characters and birth dates do, for a number already in its compact form (other
    spellings go to the Python rules)."""
    from stdnum.cn import ric, uscc
    from stdnum.exceptions import InvalidComponent

    from workcomp.codes import credit_code

    rng = random.Random(11)
    today = csv_columnar.current_date()
    ids = []
    for _ in range(3_000):
        year, month, day = rng.randint(1890, today.year + 1), rng.randint(1, 13), rng.randint(1, 31)
        born = f"{year}{month:02d}{day:02d}"  # some dates impossible, some in the future
        body = f"{rng.randint(110000, 659999)}{born}{rng.randint(0, 999):03d}"
        ids.append(body + ric.calc_check_digit(body + "0"))
    ids = _mutations(rng, ids, "0123456789X")
    _, ok = csv_columnar._resident_id(pa.array(ids), today)

    def id_valid(number):  # the check character and the birth date (not the birth place)
        if number != ric.compact(number) or not re.fullmatch(r"[0-9]{17}[0-9X]", number):
            return False
        try:
            born = ric.get_birth_date(number)
        except InvalidComponent:
            return False
        return ric.calc_check_digit(number) == number[-1] and born.year >= 1900 and born <= today

    expected = [id_valid(n) for n in ids]
    assert sum(expected) > 2_000  # the valid ones and the mutations that stay valid
    assert ok.tolist() == expected

    codes = _mutations(rng, [credit_code(rng, "150802") for _ in range(3_000)],
                       "0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV")  # fmt: skip
    _, ok = csv_columnar._uscc(pa.array(codes), today)
    expected = [n == uscc.compact(n) and uscc.is_valid(n) for n in codes]
    assert sum(expected) > 2_000
    assert ok.tolist() == expected


def test_the_line_count_is_pythons_across_read_boundaries(tmp_path):
    """\\n, \\r\\n and a lone \\r, a \\r\\n cut by a read, a last line without its end: the count
    of lines Python's universal newlines finds, whatever the read size."""
    rng = random.Random(5)
    for trial in range(200):
        data = "".join(rng.choice(["a", "bc,d", "\n", "\r\n", "\r", "长"])
                       for _ in range(rng.randint(0, 60))).encode()  # fmt: skip
        path = tmp_path / f"{trial}.csv"
        path.write_bytes(data)
        expected = len(data.decode().splitlines())
        for read_bytes in (1, 2, 3, 7, 1 << 22):
            assert csv_columnar._line_count(path, read_bytes) == expected, (data, read_bytes)
