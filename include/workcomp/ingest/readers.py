"""Read delivered files row by row, mapped to a contract's canonical column names.

Readers stream: a CSV is decoded line by line and an xlsx is opened read-only, so a large
file never sits in memory whole. Each yields ``(row_number, {column: cell})`` where the row
number is the one a person sees in Excel or a text editor.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workcomp.contracts import Contract

HEADER_SCAN_ROWS = 30
# Signature row below the form's table: 部门负责人：… 填表人：… 联系电话：…
_SIGNATURE = re.compile(r"^(部门负责人|填表人|审核人|负责人)[:：]")


class FileUnreadable(Exception):
    """The whole file cannot be read; the batch fails and nothing of it is loaded."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path.name}: {problem}")
        self.path = path
        self.problem = problem


def header_key(text: object) -> str:
    """Header cells compared without spaces, line breaks or full-width forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


@dataclass
class DeliveredFile:
    path: Path
    contract: Contract
    form_values: dict[str, str] = field(default_factory=dict)
    rows: Iterator[tuple[int, dict[str, object]]] = field(default_factory=lambda: iter(()))


def _header_index(contract: Contract, header_cells: list[object]) -> dict[str, int] | None:
    """Column name -> position, if this row looks like the contract's header."""
    keys = [header_key(c) for c in header_cells]
    found: dict[str, int] = {}
    for column in contract.columns:
        for alias in column.headers:
            if header_key(alias) in keys:
                found[column.name] = keys.index(header_key(alias))
                break
    required = [c.name for c in contract.columns if c.required]
    if required and all(name in found for name in required):
        return found
    return None


def _missing_required(contract: Contract, header_cells: list[object]) -> list[str]:
    keys = {header_key(c) for c in header_cells}
    return [
        f"{c.headers[0]} ({c.name})"
        for c in contract.columns
        if c.required and not any(header_key(h) in keys for h in c.headers)
    ]


# --- xlsx forms ---------------------------------------------------------------------------


def _form_values(contract: Contract, rows_above: list[list[object]]) -> dict[str, str]:
    """Values of 填报单位：X  填报时间：Y style labels in the rows above the header."""
    text = " ".join(str(c) for row in rows_above for c in row if c not in (None, ""))
    text = unicodedata.normalize("NFKC", text)
    labels = [f.label for f in contract.form_fields]
    values: dict[str, str] = {}
    for form_field in contract.form_fields:
        others = "|".join(re.escape(label) for label in labels if label != form_field.label)
        stop = rf"(?=\s+(?:{others})\s*:|$)" if others else "$"
        m = re.search(rf"{re.escape(form_field.label)}\s*:\s*(.*?)\s*{stop}", text)
        if m:
            values[form_field.name] = m.group(1).strip()
    return values


MERGE_AWARE_MAX_BYTES = 20 * 1024 * 1024


def _unmerged_rows(sheet) -> Iterator[list[object]]:
    """Rows with every cell of a merged range holding the range's top-left value."""
    fill = {}
    for merged in sheet.merged_cells.ranges:
        value = sheet.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                fill[(r, c)] = value
    for r, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        yield [fill.get((r, c), v) for c, v in enumerate(cells, start=1)]


# A workbook's XML compresses about 10:1; far more, and far bigger, is a zip bomb that would
# inflate into memory.
MAX_XLSX_UNCOMPRESSED = 1 << 30
MAX_XLSX_RATIO = 200


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileUnreadable(path, f"not a readable xlsx workbook ({exc})") from exc
    inflated = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    if inflated > MAX_XLSX_UNCOMPRESSED or (
        inflated > 64 << 20 and inflated / packed > MAX_XLSX_RATIO
    ):
        raise FileUnreadable(
            path,
            f"refused: {packed:,} bytes would inflate to {inflated:,} (a zip bomb, or not a "
            "workbook an agency fills in)",
        )


def read_xlsx(path: Path, contract: Contract) -> DeliveredFile:
    try:
        return _read_xlsx(path, contract)
    except FileUnreadable:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise FileUnreadable(
            path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})"
        ) from exc


def _read_xlsx(path: Path, contract: Contract) -> DeliveredFile:
    from openpyxl import load_workbook

    _check_zip(path)
    # Forms are small and often merge cells (one 所属行业 spanning several enterprises); only a
    # fully loaded sheet knows its merged ranges. Large extracts stream read-only instead.
    small = path.stat().st_size <= MERGE_AWARE_MAX_BYTES
    workbook = load_workbook(path, read_only=not small, data_only=True)
    if not workbook.worksheets:
        raise FileUnreadable(path, "the workbook has no worksheet")
    sheet = workbook.worksheets[0]
    rows = _unmerged_rows(sheet) if small else sheet.iter_rows(values_only=True)
    above: list[list[object]] = []
    index = None
    header_row = 0
    for header_row, cells in enumerate(rows, start=1):
        cells = list(cells)
        index = _header_index(contract, cells)
        if index is not None:
            break
        above.append(cells)
        if header_row >= HEADER_SCAN_ROWS:
            break
    if index is None:
        workbook.close()
        best = min((_missing_required(contract, r) for r in above), key=len, default=[])
        raise FileUnreadable(
            path,
            f"no header row with the required columns in the first {HEADER_SCAN_ROWS} rows "
            f"of sheet {sheet.title!r}; missing: {', '.join(best)}",
        )

    def data_rows() -> Iterator[tuple[int, dict[str, object]]]:
        row_number = header_row
        try:
            for row_number, cells in enumerate(rows, start=header_row + 1):
                cells = list(cells)
                filled = [c for c in cells if c not in (None, "") and str(c).strip()]
                if not filled:
                    continue
                if _SIGNATURE.match(header_key(filled[0])):
                    break  # the signature row ends the table
                yield (
                    row_number,
                    {name: cells[pos] if pos < len(cells) else None for name, pos in index.items()},
                )
        except Exception as exc:  # a damaged sheet found while streaming it
            raise FileUnreadable(
                path, f"row {row_number + 1}: unreadable ({type(exc).__name__}: {exc})"
            ) from exc
        finally:
            workbook.close()

    return DeliveredFile(path, contract, _form_values(contract, above), data_rows())


# --- CSV ----------------------------------------------------------------------------------

_SNIFF_BYTES = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the first MiB decodes as UTF-8, else GB18030."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < _SNIFF_BYTES)
        return "gb18030"  # a superset of GBK and GB2312
    except UnicodeDecodeError:
        raise FileUnreadable(path, "text is neither UTF-8 nor GBK/GB18030") from None


def _csv_header(reader, path: Path, contract: Contract) -> tuple[list[str], dict[str, int]]:
    try:
        header = next(reader)
    except StopIteration:
        raise FileUnreadable(path, "the file is empty") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileUnreadable(path, f"cannot read the header line ({exc})") from exc
    index = _header_index(contract, header)
    if index is None:
        missing = ", ".join(_missing_required(contract, header))
        raise FileUnreadable(path, f"missing required columns: {missing}")
    return header, index


def read_header_index(path: Path, contract: Contract, encoding: str):
    """The header cells and the column name -> position map; FileUnreadable as read_csv."""
    with open(path, encoding=encoding, newline="") as fh:
        return _csv_header(csv.reader(fh), path, contract)


def read_csv(path: Path, contract: Contract) -> DeliveredFile:
    encoding = detect_encoding(path)
    fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by data_rows()
    reader = csv.reader(fh)
    try:
        _, index = _csv_header(reader, path, contract)
    except FileUnreadable:
        fh.close()
        raise

    def data_rows() -> Iterator[tuple[int, dict[str, object]]]:
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield (
                    reader.line_num,
                    {name: cells[pos] if pos < len(cells) else None for name, pos in index.items()},
                )
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FileUnreadable(path, f"line {reader.line_num}: {exc}") from exc
        finally:
            fh.close()

    return DeliveredFile(path, contract, {}, data_rows())


# --- JSON Lines (exchange platform) -------------------------------------------------------

ROW_PROBLEM = "__row_problem__"  # a row the reader could not decode: quarantined, not loaded


def _json_record(line: str, aliases: dict[str, str]) -> dict[str, object]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        return {ROW_PROBLEM: f"row:bad_json: {str(exc)[:200]}", "line": line[:500]}
    if not isinstance(record, dict):
        return {ROW_PROBLEM: "row:bad_json: not a JSON object"}
    cells = {}
    for key, value in record.items():
        name = aliases.get(header_key(key))
        if name:
            cells[name] = "" if value is None else value
    return cells


def read_jsonl(path: Path, contract: Contract) -> DeliveredFile:
    """One JSON object per line; keys are canonical names or any Chinese header alias."""
    aliases = {}
    for column in contract.columns:
        aliases[header_key(column.name)] = column.name
        for alias in column.headers:
            aliases[header_key(alias)] = column.name
    encoding = detect_encoding(path)

    def data_rows() -> Iterator[tuple[int, dict[str, object]]]:
        line_number = 0
        # Lines end at "\n" only: a stray "\r" inside a record does not split it.
        with open(path, encoding=encoding, newline="\n") as fh:
            try:
                for line_number, line in enumerate(fh, start=1):
                    if line.strip():
                        yield line_number, _json_record(line, aliases)
            except UnicodeDecodeError as exc:  # past the part the encoding was detected on
                raise FileUnreadable(path, f"line {line_number + 1}: {exc}") from exc

    return DeliveredFile(path, contract, {}, data_rows())


READERS = {".xlsx": read_xlsx, ".csv": read_csv, ".jsonl": read_jsonl, ".ndjson": read_jsonl}


def open_delivered(path: Path, contract: Contract) -> DeliveredFile:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise FileUnreadable(path, f"unsupported file type {path.suffix!r}")
    return reader(path, contract)
