"""Columnar load of a delivered CSV: parse with Arrow, check whole columns at once, COPY.

A province's contributions file is millions of rows; checking every cell in Python costs about
thirty times a plain COPY, and the same checks as SQL expressions cost about ten (Postgres
evaluates a check digit as dozens of function calls per row). Here Arrow parses the file in
blocks and every check runs over whole columns (check digits as integer matrices in numpy),
so a block of a hundred thousand rows is checked in milliseconds and streamed to COPY. Columns
whose values repeat down a file (periods, dates, rates, codes, employers) arrive
dictionary-encoded and are checked once per distinct value.

Only spellings whose canonical text is certain are accepted here: ISO dates, ``202403``
periods, plain decimals with no more places than the column keeps, upper-case check digits,
code-list members. Every other row (another date spelling, full-width digits, a bad check
digit, stray spaces) goes through the Python rules row by row, which load it or quarantine it
with its reasons. So the columnar checks only ever say "valid" where the Python rules agree,
and every reason in the quarantine comes from one place.

A file Arrow would not read exactly as Python's csv module does (ragged rows, blank lines,
a quoted line break, bytes that are not text) returns None; the caller reads it row by row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from workcomp.codelists import known_region_codes, seed_values
from workcomp.contracts import Column, Contract
from workcomp.ingest.huge_pages import without_huge_pages
from workcomp.ingest.lineage import STORED_LINEAGE
from workcomp.ingest.readers import detect_encoding, read_header_index
from workcomp.ingest.stored_rows import check_stored
from workcomp.ingest.values import MAX_CELL_CHARS, current_date

log = logging.getLogger(__name__)

BLOCK_BYTES = 16 << 20  # rows are parsed, checked and sent in blocks of about this size
_RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_RIC_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28],
                         dtype=np.int64)  # fmt: skip
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
_USCC_VALUE[np.frombuffer(_USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(31)
# What Python's str.strip() removes, as an RE2 class: a cell edged by any of it goes row by row.
_SPACE_CLASS = "[" + "".join(
    f"\\x{{{ord(ch):x}}}" for ch in map(chr, range(0x3001)) if ch.isspace()
) + "]"  # fmt: skip


class NotColumnar(Exception):
    """The file is not one Arrow reads exactly as the csv module would; read it row by row."""


# --- checks over whole columns --------------------------------------------------------------


def _fixed_width(values: pa.Array, width: int, ok: np.ndarray) -> np.ndarray:
    """An (n, width) uint8 matrix of the rows where ``ok``; other rows hold '0' bytes."""
    # Every row of a clean file has the width: its values are the matrix as they lie.
    same = values if ok.all() else pc.if_else(pa.array(ok), values, "0" * width)
    offsets = np.frombuffer(same.buffers()[1], dtype=np.int32)[same.offset : same.offset + 1]
    data = np.frombuffer(same.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    return data[start : start + width * len(same)].reshape(len(same), width)


def _valid_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    month_ok = (month >= 1) & (month <= 12)
    last = days[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    return month_ok & (day >= 1) & (day <= last)


def _digits(matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(matrix), dtype=np.int64)
    for i in range(start, stop):
        out = out * 10 + (matrix[:, i].astype(np.int64) - 48)
    return out


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)


def _ascii_matrix(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of exactly ``width`` bytes as an (n, width) uint8 matrix, and which rows those are
    (a non-ASCII character makes some byte >= 128, which no check below accepts)."""
    ok = pc.equal(pc.binary_length(values), width).to_numpy(zero_copy_only=False)
    return _fixed_width(values, width, ok), ok


_USCC_VALUE_U8 = np.where(_USCC_VALUE < 0, 255, _USCC_VALUE).astype(np.uint8)


def _weighted_sum(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's sum of column times weight, one column at a time. Not a matrix product:
    numpy hands those to OpenBLAS, whose threads then spin on the cores the load and Postgres
    need (a tenth of a load's CPU in a profile)."""
    total = np.zeros(len(matrix), dtype=np.uint32)
    for i, weight in enumerate(weights):
        total += matrix[:, i] * np.uint32(weight)  # uint32 holds 255 x every weight summed
    return total


def _resident_id(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    m, ok = _ascii_matrix(values, 18)
    digits = m[:, :17] - np.uint8(48)  # a byte below '0' wraps past 9
    last = m[:, 17]
    ok &= (digits <= 9).all(axis=1) & ((last - np.uint8(48) <= 9) | (last == ord("X")))
    ok &= _RIC_CHECK[_weighted_sum(digits, _RIC_WEIGHTS) % 11] == last
    born = _digits(m, 6, 14)
    ok &= _valid_ymd(born // 10000, born // 100 % 100, born % 100)
    ok &= (born >= 19000101) & (born <= int(today.strftime("%Y%m%d")))
    return values, ok


def _uscc(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    m, ok = _ascii_matrix(values, 18)
    v = _USCC_VALUE_U8[m]  # 255 for a character outside the code's alphabet
    ok &= (v[:, :8] <= 9).all(axis=1) & (v[:, 8:] < 31).all(axis=1)
    total = _weighted_sum(v, _USCC_WEIGHTS).astype(np.int64)
    ok &= (31 - total % 31) % 31 == v[:, 17]
    return values, ok


def _month(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    month = pc.replace_substring_regex(values, r"^([0-9]{4})-?(0[1-9]|1[0-2])$", r"\1-\2")
    ok = _matches(values, r"^[0-9]{4}-?(0[1-9]|1[0-2])$")
    ok &= pc.less_equal(month, today.strftime("%Y-%m")).to_numpy(zero_copy_only=False)
    return month, ok


# The date spellings of the Python rules (values._DATE_PATTERNS) in ASCII digits, no spaces
# and no time of day: 2021-03-05, 2021-3-5, 2021/3/5, 2021.3.5, 2021年3月5日 and 20210305. A
# province's exchange writes 2021年3月5日 throughout; anything else goes row by row.
_DATE_SPELLINGS = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$",
    r"^(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})日?$",
    r"^(?P<y>[0-9]{4})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})$",
    r"^(?P<y>[0-9]{4})\.(?P<m>[0-9]{1,2})\.(?P<d>[0-9]{1,2})$",
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",
)


def _date(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    # ISO dates by fixed width (the cheap common case), then the other spellings by regex on
    # the rows left: each spelling only on the rows no earlier one took.
    found = _matches(values, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    m = _fixed_width(values, 10, found)
    ymd = np.stack([_digits(m, 0, 4), _digits(m, 5, 7), _digits(m, 8, 10)])
    iso = found.copy()
    for pattern in _DATE_SPELLINGS:
        todo = np.flatnonzero(~found)
        if not len(todo):
            break
        subset = values if len(todo) == len(values) else values.take(pa.array(todo))
        parts = pc.extract_regex(subset, pattern)
        hit = pc.is_valid(parts).to_numpy(zero_copy_only=False)
        if not hit.any():
            continue
        rows = todo[hit]
        taken = parts.filter(pa.array(hit))
        for i, field in enumerate("ymd"):
            ymd[i, rows] = pc.cast(taken.field(field), pa.int64()).to_numpy()
        found[rows] = True
    year, month, day = ymd
    ok = found & _valid_ymd(year, month, day)
    stamp = year * 10000 + month * 100 + day
    ok &= (stamp >= 19000101) & (stamp <= int(today.strftime("%Y%m%d")))
    if (ok & ~iso).any():  # another spelling: canonical text from the parts
        text = pc.binary_join_element_wise(
            *(pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), width, "0")
              for part, width in ((year, 4), (month, 2), (day, 2))),
            "-",
        )  # fmt: skip
        values = pc.if_else(pa.array(iso), values, text)
    return values, ok


def _in_range(numbers: pa.Array, column: Column) -> np.ndarray:
    ok = np.ones(len(numbers), dtype=bool)
    as_float = pc.cast(numbers, pa.float64())
    if column.min is not None:
        ok &= pc.greater_equal(as_float, column.min).to_numpy(zero_copy_only=False)
    if column.max is not None:
        ok &= pc.less_equal(as_float, column.max).to_numpy(zero_copy_only=False)
    return ok


def _decimal(column: Column) -> Callable:
    # Only as many places as the column keeps: no rounding, whose rules could differ.
    pattern = rf"^[0-9]{{1,15}}(\.[0-9]{{1,{column.scale}}})?$"

    def check(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
        ok = _matches(values, pattern)
        numbers = pc.cast(pc.if_else(pa.array(ok), values, "0"), pa.decimal128(28, column.scale))
        ok &= _in_range(numbers, column)
        return pc.cast(numbers, pa.string()), ok

    return check


def _integer(column: Column) -> Callable:
    def check(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
        ok = _matches(values, r"^[0-9]{1,15}$")
        numbers = pc.cast(pc.if_else(pa.array(ok), values, "0"), pa.int64())
        ok &= _in_range(numbers, column)
        return pc.cast(numbers, pa.string()), ok

    return check


@cache
def _value_set(seed: str, column: str) -> pa.Array:
    if seed == "ref_regions":
        return pa.array(sorted(known_region_codes()), pa.string())
    return pa.array(sorted(seed_values(seed, column)), pa.string())


def _member_of(seed: str, column: str, prefix: int | None = None) -> Callable:
    def check(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
        value_set = _value_set(seed, column)
        if prefix is None:
            return values, pc.is_in(values, value_set=value_set).to_numpy(zero_copy_only=False)
        ok = _matches(values, r"^[0-9]{2,4}$")
        head = pc.utf8_slice_codeunits(values, 0, prefix)
        return values, ok & pc.is_in(head, value_set=value_set).to_numpy(zero_copy_only=False)

    return check


def _text(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    ok = ~_matches(values, f"^{_SPACE_CLASS}|{_SPACE_CLASS}$")
    ok &= ~pc.match_substring(values, "\x00").to_numpy(zero_copy_only=False)
    ok &= pc.less_equal(pc.utf8_length(values), MAX_CELL_CHARS).to_numpy(zero_copy_only=False)
    return pc.replace_substring(values, "\u3000", " "), ok


def _never(values: pa.Array, today: dt.date) -> tuple[pa.Array, np.ndarray]:
    return values, np.zeros(len(values), dtype=bool)  # booleans, date-times: Python decides


def column_check(column: Column) -> Callable:
    """``check(values, today) -> (canonical values, certainly valid)`` for a non-blank cell."""
    kind = column.type
    if kind == "decimal":
        return _decimal(column)
    if kind == "integer":
        return _integer(column)
    if kind == "code":
        return _member_of(column.code_list["seed"], column.code_list["column"])
    if kind == "region_code":
        return _member_of("ref_regions", "region_code")
    if kind == "industry_code":
        return _member_of("ref_industry_divisions", "division_code", prefix=2)
    return {"resident_id": _resident_id, "uscc": _uscc, "month": _month, "date": _date,
            "text": _text}.get(kind, _never)  # fmt: skip


def _row_rules(contract: Contract, checked: dict[str, Checked], n: int) -> np.ndarray:
    """The contract's cross-field rules (row_checks.RULES) over canonical columns."""
    canonical = {name: column.rows() for name, column in checked.items()}
    ok = np.ones(n, dtype=bool)
    for check in contract.checks:
        if check["rule"] == "sex_matches_id":
            rid, sex = canonical[check["id"]], canonical[check["sex"]]
            odd = pc.equal(pc.bit_wise_and(pc.cast(pc.fill_null(
                pc.utf8_slice_codeunits(rid, 16, 17), "0"), pa.int8()), 1), 1)  # fmt: skip
            implied = pc.if_else(odd, "男", "女")
            agree = pc.or_kleene(pc.or_kleene(pc.is_null(rid), pc.is_null(sex)),
                                 pc.equal(implied, sex))  # fmt: skip
        elif check["rule"] == "not_before":
            later = pc.utf8_slice_codeunits(canonical[check["column"]], 0, 10)
            earlier = pc.utf8_slice_codeunits(canonical[check["reference"]], 0, 10)
            agree = pc.or_kleene(pc.or_kleene(pc.is_null(later), pc.is_null(earlier)),
                                 pc.greater_equal(later, earlier))  # fmt: skip
        else:
            raise ValueError(f"no columnar form of the row rule {check['rule']!r}")
        ok &= pc.fill_null(agree, False).to_numpy(zero_copy_only=False)
    return ok


@dataclass(frozen=True)
class Checked:
    """A column's canonical text: one value per distinct cell and each row's index into them
    (a dictionary-encoded column), or one value per row."""

    text: pa.Array
    indices: pa.Array | None = None

    def rows(self, keep: pa.Array | None = None) -> pa.Array:
        """Every row's text, or only the rows ``keep`` marks: the dropped rows' text is never
        built (most of a block is kept, and its rows are built once)."""
        if self.indices is None:
            return self.text if keep is None else self.text.filter(keep)
        return self.text.take(self.indices if keep is None else self.indices.filter(keep))


def check_block(contract: Contract, block: pa.RecordBatch, index: dict[str, int],
                today: dt.date) -> tuple[dict[str, Checked], np.ndarray]:  # fmt: skip
    """Canonical columns and the mask of rows certainly valid (blank optional cells are null)."""
    n = block.num_rows
    ok = np.ones(n, dtype=bool)
    any_filled = np.zeros(n, dtype=bool)
    checked: dict[str, Checked] = {}
    for column in contract.columns:
        pos = index.get(column.name)
        if pos is None:
            checked[column.name] = Checked(pa.nulls(n, pa.string()))
            ok &= not column.required
            continue
        values = block.column(pos)
        # A dictionary-encoded column is checked once per distinct value, then spread by index.
        distinct = values.dictionary if pa.types.is_dictionary(values.type) else values
        blank = pc.equal(distinct, "").to_numpy(zero_copy_only=False)
        text, valid = column_check(column)(distinct, today)
        text = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)
        valid = np.where(blank, not column.required, valid)
        if distinct is values:
            checked[column.name] = Checked(text)
        else:
            rows = values.indices.to_numpy(zero_copy_only=False)
            valid, blank = valid[rows], blank[rows]
            checked[column.name] = Checked(text, values.indices)
        any_filled |= ~blank
        ok &= valid
    ok &= any_filled  # a row of blank contract cells: Python decides whether it is a row
    if contract.checks:
        ok &= _row_rules(contract, checked, n)
    return checked, ok


# --- reading and loading --------------------------------------------------------------------


def _line_count(path: Path, read_bytes: int = 1 << 22) -> int:
    """Lines as Python's csv module numbers them (newline="": \\n, \\r\\n and a lone \\r)."""
    lines, last = 0, 10
    # One buffer and one mask, reused: fresh ones for every read were pages the kernel had to
    # clear each time (a province's month is hundreds of MB).
    buffer = bytearray(read_bytes)
    octets = np.frombuffer(buffer, dtype=np.uint8)
    mask = np.empty(len(buffer), dtype=bool)
    with open(path, "rb", buffering=0) as fh:
        while size := fh.readinto(buffer):
            chunk, found = octets[:size], mask[:size]
            # numpy compares bytes several times faster than bytes.count scans for one byte.
            lines += int(np.count_nonzero(np.equal(chunk, 10, out=found)))
            if buffer.find(b"\r", 0, size) >= 0:
                lines += int(np.count_nonzero(np.equal(chunk, 13, out=found)))
                lines -= int(np.count_nonzero(found[:-1] & (chunk[1:] == 10)))  # \r\n
            if last == 13 and chunk[0] == 10:
                lines -= 1  # a \r\n split across two reads
            last = int(chunk[-1])
    return lines + (last not in (10, 13))


# Cell types that are mostly distinct per row; every other contract column repeats (periods,
# dates, rates, codes, employers, amounts) and is parsed dictionary-encoded, so a province's
# month of two million rows checks a few thousand distinct values per column, not every cell.
_DISTINCT_PER_ROW = frozenset({"resident_id", "text"})


FIRST_BLOCK_BYTES = 1 << 20  # Postgres starts copying after this much, not a whole block


def _blocks(path: Path, encoding: str, width: int,
            repeating: frozenset[int] = frozenset()) -> Iterator[pa.RecordBatch]:  # fmt: skip
    """Blocks of string columns; the positions in ``repeating`` dictionary-encoded.

    The file's first MiB is parsed on its own, so the first COPY starts while the next full
    block is parsed (Postgres idled for the whole first block otherwise). The cut is after a
    line feed, which in UTF-8 and GB18030 is never part of another character."""
    names = [f"c{i}" for i in range(width)]
    encoded = pa.dictionary(pa.int32(), pa.string())

    def reader(source, skip_rows: int):
        return pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
                block_size=BLOCK_BYTES, skip_rows=skip_rows, column_names=names,
                # Threads read blocks ahead before the first is handed over (0.3-0.6 s for a
                # province's month, with Postgres idle); one block at a time is as fast in
                # total.
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: encoded if i in repeating else pa.string()
                              for i, name in enumerate(names)},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )  # fmt: skip

    with pa.OSFile(str(path)) as source:
        head = source.read(FIRST_BLOCK_BYTES)
        cut = head.rfind(b"\n") + 1
        if len(head) < FIRST_BLOCK_BYTES or cut <= head.find(b"\n") + 1:
            yield from reader(pa.BufferReader(head) if len(head) < FIRST_BLOCK_BYTES
                              else path, 1)  # fmt: skip
            return
        yield from reader(pa.BufferReader(head[:cut]), 1)
        source.seek(cut)
        yield from reader(source, 0)


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector kept walking every object of the process (Airflow's, dbt's)
    while a load made few cycles: 4% of a load's CPU in a profile. It resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_columnar(cur, contract: Contract, path: Path, slow_rows, file_id: int,
                  second_writer: bool = False) -> tuple[int, int, list] | None:  # fmt: skip
    """Load ``path`` as the file ``file_id`` (its ``raw.files`` row, published by the caller's
    transaction); returns (read, loaded, quarantine rows) as the row loader does, or None
    when the file must be read row by row (nothing of it is then left in ``raw``).

    ``slow_rows(pairs)`` checks ``(row_number, cells)`` pairs in Python and writes the valid
    ones to ``raw`` itself, returning (read, loaded, quarantine rows). With ``second_writer``,
    a file of more than one block is copied over a second connection as well (see
    ``SecondWriter``)."""
    encoding = detect_encoding(path)
    header, index = read_header_index(path, contract, encoding)
    if encoding == "utf-8-sig":
        encoding = "utf-8"  # Arrow drops a UTF-8 byte order mark itself
    conn = cur.connection
    try:
        # A savepoint: a file handed back leaves nothing behind.
        with without_huge_pages(), _cycle_collection_paused(), conn.transaction():
            return _load_blocks(cur, contract, path, encoding, len(header), index, slow_rows,
                                file_id, second_writer)  # fmt: skip
    except NotColumnar:
        return None


# Types whose checked text never holds a comma, a quote or a line break, nor is empty.
_UNQUOTED_TYPES = frozenset({"resident_id", "uscc", "month", "date", "decimal", "integer",
                             "region_code", "industry_code"})  # fmt: skip
_NEEDS_QUOTES = r'^$|[,"\r\n]'  # an empty string would read back as NULL unless quoted


def _csv_bytes(columns: list[pa.Array | pa.Scalar], quotable: list[pa.Array]) -> pa.Buffer:
    """Rows as CSV for COPY. Checked codes, numbers and dates never need quotes, and leaving
    them out makes the stream a tenth smaller: while no value in ``quotable`` (the columns
    that could hold one) needs quotes, each row is its cells joined by commas, in one pass
    over the columns; otherwise Arrow's writer quotes what needs it."""
    if not any(pc.any(pc.match_substring_regex(c, _NEEDS_QUOTES)).as_py() for c in quotable):
        *cells, last = columns
        ended = pc.binary_join_element_wise(last, "\n", "", null_handling="replace",
                                            null_replacement="")  # fmt: skip
        rows = pc.binary_join_element_wise(*cells, ended, ",", null_handling="replace",
                                           null_replacement="")  # fmt: skip
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
        start, stop = offsets[rows.offset], offsets[rows.offset + len(rows)]
        return rows.buffers()[2][int(start) : int(stop)]
    rows = len(columns[-1])
    columns = [pa.array([c.as_py()] * rows, c.type) if isinstance(c, pa.Scalar) else c
               for c in columns]  # fmt: skip
    sink = pa.BufferOutputStream()
    table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False))
    return sink.getvalue()


CHECK_THREADS = 2  # blocks checked at once: Arrow and numpy release the GIL while they work


def _prepare_block(contract, block, first_row, index, today, file_id):
    """One block: (rows, valid rows, CSV bytes of the valid rows for COPY, the other rows as
    ``(row_number, cells)`` pairs for the Python rules)."""
    n = block.num_rows
    numbers = np.arange(first_row, first_row + n, dtype=np.int64)
    checked, ok = check_block(contract, block, index, today)
    good = int(np.count_nonzero(ok))
    keep = None if good == n else pa.array(ok)
    columns = [
        pa.scalar(str(file_id)),
        pc.cast(pa.array(numbers if keep is None else numbers[ok]), pa.string()),
        *(checked[c.name].rows(keep) for c in contract.columns),
        *(pa.nulls(good, pa.string()) for _ in contract.form_fields),
    ]  # fmt: skip
    quotable = [checked[c.name].text for c in contract.columns if c.type not in _UNQUOTED_TYPES]
    data = _csv_bytes(columns, quotable) if good else b""
    pairs = []
    if keep is not None:
        dropped = pc.invert(keep)
        for number, row in zip(numbers[~ok].tolist(), block.filter(dropped).to_pylist(),
                               strict=True):  # fmt: skip
            if any(v.strip() for v in row.values()):  # a line of blank cells is no row
                pairs.append((number, {name: row[f"c{pos}"] for name, pos in index.items()}))
    return n, good, data, pairs


def _prepared_blocks(contract, path, encoding, width, index, file_id):
    """Prepared blocks in file order, ``CHECK_THREADS`` checked at once."""
    today = current_date()
    repeating = frozenset(index[c.name] for c in contract.columns
                          if c.name in index and c.type not in _DISTINCT_PER_ROW)  # fmt: skip
    with ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="csv-check") as pool:
        pending: deque[Future] = deque()
        first_row = 2  # the header is line 1
        for block in _blocks(path, encoding, width, repeating):
            pending.append(pool.submit(_prepare_block, contract, block, first_row, index, today,
                                       file_id))  # fmt: skip
            first_row += block.num_rows
            # A checked block goes to COPY at once; memory stays a few blocks, whatever the file.
            while pending and (len(pending) > CHECK_THREADS or pending[0].done()):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _ahead(items: Iterator, depth: int = 2) -> Iterator:
    """Produce ``items`` in a thread, ``depth`` ahead: Arrow parses and checks the next block
    (releasing the GIL) while Postgres copies this one, so both cores work."""
    done = object()
    handoff: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put(exc)
        finally:
            if hasattr(items, "close"):
                items.close()  # a generator stopped early lets its own resources go

    worker = threading.Thread(target=produce, name="csv-columnar", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


class SecondWriter:
    """A second connection that copies checked blocks beside the load's own, so Postgres can
    write the file on two cores where the machine has cores to spare (on two cores the checks
    and Postgres together keep both busy, and it changes nothing measurable).

    Its rows cannot be committed with the caller's transaction, so they are committed first,
    together with a ``raw.unpublished_files`` row, and stay invisible until the caller commits
    the file's ``raw.files`` row (the ``raw.<feed>`` view shows only published files) and
    deletes the unpublished mark. A load that dies in between leaves rows no view shows; the
    next load of the feed deletes them (``loader.sweep_unpublished``)."""

    def __init__(self, conn: psycopg.Connection, contract: Contract, file_id: int,
                 copy_sql: sql.Composed, path: Path):  # fmt: skip
        self.copy_sql, self.path = copy_sql, path
        self.stored_table = f"raw_store.{contract.table}"
        self.conn = psycopg.connect(conn.info.dsn, password=conn.info.password)
        try:
            self.conn.execute(
                "insert into raw.unpublished_files (file_id, raw_table) values (%s, %s)",
                (file_id, contract.table),
            )
        except BaseException:
            self.conn.close()
            raise
        self.blocks: queue.Queue = queue.Queue(1)  # one block waiting, one being copied
        self.error: BaseException | None = None
        self.rows = 0
        self.thread = threading.Thread(target=self._copy, name="csv-copy", daemon=True)
        self.thread.start()

    def _copy(self) -> None:
        while (item := self.blocks.get()) is not None:
            data, rows = item
            if self.error is not None:
                continue  # drain: the caller learns of the error when it finishes
            try:
                cursor = self.conn.cursor()
                with cursor.copy(self.copy_sql) as copy:
                    copy.write(data)
                self.rows += check_stored(cursor, rows, f"{self.stored_table} ({self.path.name})")
            except BaseException as exc:
                self.error = exc

    def offer(self, data, rows: int) -> bool:
        """Take a block if this writer has room for it; False when the caller should copy it."""
        try:
            self.blocks.put_nowait((data, rows))
        except queue.Full:
            return False
        return True

    def commit(self) -> int:
        """Wait for the blocks taken, commit them (unpublished); returns their rows."""
        self.blocks.put(None)
        self.thread.join()
        try:
            if self.error is not None:
                raise self.error
            self.conn.commit()
            return self.rows
        finally:
            self.conn.close()

    def abandon(self) -> None:
        """Roll back whatever was copied (nothing of it was committed)."""
        self.blocks.put(None)
        self.thread.join()
        self.conn.close()  # closing without commit rolls back


def _second_writer(conn, contract, file_id, copy_sql, path) -> SecondWriter | None:
    """A second writer, or None when the server takes no second connection (the file is then
    copied over the load's own, as fast as one backend goes)."""
    try:
        return SecondWriter(conn, contract, file_id, copy_sql, path)
    except psycopg.OperationalError as exc:
        log.warning("copying %s over one connection: no second one (%s)", contract.table, exc)
        return None


def _load_blocks(cur, contract, path, encoding, width, index, slow_rows, file_id,
                 second_writer=False):  # fmt: skip
    names = [c.name for c in contract.all_fields]
    # The file id travels in every row: Postgres spent about a sixth more on a COPY filling it
    # from the column default (a setting read for each row) than on reading it.
    copy_sql = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier("raw_store", contract.table),
        sql.SQL(", ").join(map(sql.Identifier, [*STORED_LINEAGE, *names])),
    )  # fmt: skip
    read = loaded = rows_seen = blocks_copied = 0
    rejected: list[tuple] = []
    blocks = _prepared_blocks(contract, path, encoding, width, index, file_id)
    # The file's line count (for the line-break test below) is taken while the blocks load.
    counter = ThreadPoolExecutor(1, thread_name_prefix="csv-lines")
    lines = counter.submit(_line_count, path)
    counter.shutdown(wait=False)
    second: SecondWriter | None = None
    try:
        for n, good, data, pairs in _ahead(blocks):
            rows_seen += n
            if good:
                if second is None and blocks_copied and second_writer:
                    second = _second_writer(cur.connection, contract, file_id, copy_sql, path)
                    second_writer = False  # asked once per file, whether it could connect or not
                if second is None or not second.offer(data, good):
                    with cur.copy(copy_sql) as copy:
                        copy.write(data)
                    check_stored(cur, good, f"raw_store.{contract.table} ({path.name})")
                blocks_copied += 1
            read += good
            loaded += good
            if pairs:
                s_read, s_loaded, s_rejected = slow_rows(iter(pairs))
                read += s_read
                loaded += s_loaded
                rejected += s_rejected
        if rows_seen + 1 != lines.result():  # a quoted line break: row numbers would drift
            raise NotColumnar("line breaks inside cells")
        if second is not None:
            second, helper = None, second  # committed, so not abandoned below
            helper.commit()
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:  # ragged, undecodable: row by row
        raise NotColumnar(str(exc)) from exc
    finally:
        if second is not None:
            second.abandon()
    return read, loaded, rejected
