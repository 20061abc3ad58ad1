"""Whatever an agency sends, a batch either loads what is valid and quarantines the rest (rows
in = rows loaded + rows quarantined, checked in the database), or fails with a message naming
the file; an earlier batch is never touched, and nothing hangs or exhausts memory.

Property-based (hypothesis): random bytes, random mutations of each feed's real example file,
and well-formed files whose cells hold NUL characters, huge text, formulas, markup and mixed
date formats. Every example is loaded into a real Postgres."""

import csv
import io
import json
import random
import subprocess
import sys
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workcomp.codes import credit_code
from workcomp.contracts import all_contracts, get_contract
from workcomp.ingest.loader import BatchFailed, load_batch
from workcomp.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
FEEDS = sorted(all_contracts())
FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=30),  # an example that hangs fails the test
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EMPLOYERS = get_contract("social_insurance", "employers")
DEATHS = get_contract("public_security", "death_records")


def deliver(tmp_path, contract, name, data: bytes):
    """A new batch holding ``data``; returns it and its file's name. Names are unique so that
    no two examples are the same delivery (a repeat would rightly be skipped)."""
    batch = tmp_path / contract.source / contract.dataset / f"b{uuid.uuid4().hex[:12]}"
    batch.mkdir(parents=True)
    path = Path(name)
    unique = f"{path.stem}-{batch.name}{path.suffix}"
    (batch / unique).write_bytes(data)
    return batch, unique


def load_or_fail(conn, contract, batch, name):
    """Load; check the two allowed outcomes against the database. Returns the result or None."""
    batch_id = f"{contract.source}/{contract.dataset}/{batch.name}"
    try:
        result = load_batch(conn, contract, batch)
    except BatchFailed as exc:
        assert name in str(exc) or str(batch) in str(exc), str(exc)
        status = conn.execute(
            "select status, message from raw.batches where batch_id = %s", (batch_id,)
        ).fetchone()
        assert status[0] == "failed" and status[1]
        assert (
            conn.execute(
                "select count(*) from raw.quarantine where batch_id = %s", (batch_id,)
            ).fetchone()[0]
            == 0
        )
        return None
    in_raw = conn.execute(
        f'select count(*) from raw."{contract.table}" where _batch_id = %s', (batch_id,)
    ).fetchone()[0]
    quarantined = conn.execute(
        "select count(*), count(*) filter (where cardinality(reasons) = 0)"
        " from raw.quarantine where batch_id = %s",
        (batch_id,),
    ).fetchone()
    assert result.status == "loaded"
    assert (result.rows_loaded, result.rows_quarantined) == (in_raw, quarantined[0])
    assert result.rows_read == in_raw + quarantined[0]
    assert quarantined[1] == 0, "every quarantined row has a reason"
    return result


@pytest.fixture
def earlier(conn, tmp_path):
    """A good batch loaded first: no later delivery may change it."""
    batch, _ = deliver(tmp_path, EMPLOYERS, "employers.csv",
                    (EXAMPLES / "social_insurance__employers.csv").read_bytes())  # fmt: skip
    result = load_batch(conn, EMPLOYERS, batch)
    assert result.rows_loaded > 0

    def unchanged():
        rows = conn.execute(
            "select count(*) from raw.social_insurance__employers where _batch_id = %s",
            (result.batch_id,),
        ).fetchone()[0]
        assert rows == result.rows_loaded

    return unchanged


@FUZZ
@given(feed=st.sampled_from(FEEDS), data=st.binary(max_size=4096))
def test_random_bytes_load_or_fail_clearly(conn, tmp_path, earlier, feed, data):
    contract = all_contracts()[feed]
    suffix = ".xlsx" if contract.format == "xlsx_form" else f".{contract.format}"
    name = f"delivery{suffix}"
    load_or_fail(conn, contract, *deliver(tmp_path, contract, name, data))
    earlier()


@st.composite
def mutated(draw):
    """A feed's real example file with bytes flipped, cut, inserted or truncated."""
    feed = draw(st.sampled_from(FEEDS))
    path = next(EXAMPLES.glob(f"{feed}.*"))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if action == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at:]
        if not data:
            data = bytearray(b"\x00")
    return feed, path.suffix, bytes(data)


@FUZZ
@given(case=mutated())
def test_mutated_example_files_load_or_fail_clearly(conn, tmp_path, earlier, case):
    feed, suffix, data = case
    contract = all_contracts()[feed]
    name = f"delivery{suffix}"
    load_or_fail(conn, contract, *deliver(tmp_path, contract, name, data))
    earlier()


NASTY = [
    "\x00", "a\x00b", '=HYPERLINK("http://evil.example")', "+cmd|' /C calc'!A0",
    "<script>alert(1)</script>", "'; drop table raw.batches; --",
    "２０２１－１２－３１", "2021/12/31", "31.12.2021", "20211231", "2021年12月31日",
    "45657", "1e999", "NaN", "\u3000", "\ufeff", "\r\n",
]  # fmt: skip
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(NASTY),
    st.integers(min_value=40_000, max_value=60_000).map(lambda n: "长" * n),
)
HEADER = ["统一社会信用代码", "单位名称", "行政区划代码",
          "行业代码", "参保人数", "统计日期"]  # fmt: skip


@FUZZ
@given(rows=st.lists(st.tuples(st.booleans(), st.lists(NASTY_TEXT, min_size=5, max_size=5)),
                     min_size=1, max_size=30),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))  # fmt: skip
@example(rows=[(True, ["a\x00b", "", "", "", ""])], encoding="utf-8")  # NUL: Postgres refuses it
@example(rows=[(True, ["长" * 40_000, "", "", "", ""])], encoding="gb18030")  # past Excel's limit
@example(rows=[(True, [NASTY[2], "", "", "", ""]), (False, NASTY[3:8])], encoding="utf-8-sig")
def test_hostile_cells_are_loaded_or_quarantined_never_lost(conn, tmp_path, earlier, rows,
                                                            encoding):  # fmt: skip
    rng = random.Random(len(rows))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for valid, cells in rows:
        if valid:  # every other cell valid: the hostile name is what decides
            writer.writerow([credit_code(rng, "150802"), cells[0], "150802", "0610", "12",
                             "2021-12-31"])  # fmt: skip
        else:
            writer.writerow(["X", *cells])
    data = out.getvalue().encode(encoding, errors="replace")
    result = load_or_fail(conn, EMPLOYERS, *deliver(tmp_path, EMPLOYERS, "e.csv", data))
    assert result is not None, "a well-formed CSV must load"
    assert result.rows_read == len(rows)
    earlier()


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["死亡日期", "公民身份号码", "姓名", "x", "死亡原因"]),
                st.one_of(
                    st.none(),
                    st.integers(),
                    st.floats(),
                    NASTY_TEXT,
                    st.lists(st.integers(), max_size=3),
                ),
                max_size=6,
            ).map(json.dumps),
            st.just(
                "[" * 100_000 + "]" * 100_000
            ),  # nesting deep enough to break a recursive parser
            st.just('{"死亡日期": '),
            st.just("null"),
            st.text(max_size=50),
        ),
        min_size=1,
        max_size=20,
    )
)
@example(lines=["[" * 100_000 + "]" * 100_000, '{"死亡日期": ', "null"])
def test_hostile_json_lines_are_loaded_or_quarantined(conn, tmp_path, earlier, lines):  # fmt: skip
    data = "\n".join(lines).encode("utf-8", errors="replace")
    result = load_or_fail(conn, DEATHS, *deliver(tmp_path, DEATHS, "d.jsonl", data))
    assert result is not None
    assert result.rows_read == sum(1 for line in data.decode().split("\n") if line.strip())
    earlier()


ZIP_BOMB = r"""
import resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))  # 1.5 GiB for this process
from workcomp.contracts import get_contract
from workcomp.ingest.readers import FileUnreadable, open_delivered
started = time.monotonic()
try:
    open_delivered(Path(sys.argv[1]), get_contract("health", "dust_enterprises"))
except FileUnreadable as exc:
    print("REFUSED", round(time.monotonic() - started, 1), exc)
"""


def test_a_zip_bombed_workbook_is_refused_without_inflating_it(tmp_path):
    bomb = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(EXAMPLES / "health__dust_enterprises.xlsx") as good, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bad:  # fmt: skip
        for info in good.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with bad.open(info.filename, "w", force_zip64=True) as sheet:
                    chunk = b" " * (1 << 20)
                    for _ in range(3 * 1024):  # 3 GiB of whitespace, about 3 MiB packed
                        sheet.write(chunk)
            else:
                bad.writestr(info, good.read(info))
    assert bomb.stat().st_size < 20 << 20
    done = subprocess.run([sys.executable, "-c", ZIP_BOMB, str(bomb)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("REFUSED"), done.stdout + done.stderr[-2000:]
    assert "roster.xlsx" in done.stdout and "zip bomb" in done.stdout


def test_bytes_past_the_encoding_sniff_fail_the_file_not_the_process(conn, tmp_path, earlier):
    line = json.dumps({"死亡日期": "2021-01-01", "x": "y" * 200}, ensure_ascii=False) + "\n"
    data = (line * (2 * 1024 * 1024 // len(line))).encode() + b"\xff\xfe broken\n"
    batch, name = deliver(tmp_path, DEATHS, "d.jsonl", data)
    with pytest.raises(BatchFailed, match=rf"{name}: line \d+: 'utf-8' codec can't decode"):
        load_batch(conn, DEATHS, batch)
    earlier()
