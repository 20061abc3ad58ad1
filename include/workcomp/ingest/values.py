"""Turn one delivered cell into canonical text, or say why it cannot be.

Agencies send dates as 2021-03-05, 2021/3/5, 20210305, 2021年3月5日 or Excel serials, digits
in full width, and stray spaces. Raw tables keep canonical text (ISO dates, ASCII digits);
the original cell is kept in quarantine when a row is rejected.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from workcomp.codelists import known_region_codes, seed_values
from workcomp.contracts import Column

EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


class CellError(ValueError):
    """A cell that breaks its contract; ``code`` is a stable reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def to_text(value: object) -> str:
    """Cell as stripped text; Excel numbers that are whole print without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def half_width(text: str) -> str:
    """Full-width digits and letters to ASCII (NFKC) for code-like fields."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    text = _TIME_SUFFIX.sub("", half_width(text)).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                value = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError("bad_date", f"{text!r} is not a real calendar date") from None
            break
    else:
        if re.fullmatch(r"\d{5}(\.0+)?", text):  # Excel serial day number
            value = EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        else:
            raise CellError("bad_date", f"{text!r} is not a date in a known format")
    if value > (today or dt.date.today()):
        raise CellError("future_date", f"{value.isoformat()} is in the future")
    if value.year < 1900:
        raise CellError("bad_date", f"{value.isoformat()} is before 1900")
    return value


def parse_integer(text: str, column: Column) -> int:
    text = half_width(text).replace(",", "").replace(" ", "")
    if re.fullmatch(r"-?\d+(\.0+)?", text) is None:
        raise CellError("not_integer", f"{text!r} is not a whole number")
    value = int(float(text)) if "." in text else int(text)
    if column.min is not None and value < column.min:
        raise CellError("out_of_range", f"{value} is below the minimum {column.min}")
    if column.max is not None and value > column.max:
        raise CellError("out_of_range", f"{value} is above the maximum {column.max}")
    return value


def parse_uscc(text: str) -> str:
    try:
        return uscc.validate(half_width(text))
    except InvalidChecksum:
        raise CellError("bad_check_digit", f"{text!r} fails the GB 32100 check digit") from None
    except InvalidLength:
        raise CellError("bad_length", f"{text!r} is not 18 characters") from None
    except ValidationError:
        raise CellError("bad_format", f"{text!r} is not a unified social credit code") from None


def parse_region(text: str) -> str:
    code = half_width(text)
    if not re.fullmatch(r"\d{6}", code):
        raise CellError("bad_format", f"{text!r} is not a 6-digit region code")
    if code not in known_region_codes():
        raise CellError("unknown_code", f"{code} is not a region code in use (ref_regions)")
    return code


def parse_code(text: str, column: Column) -> str:
    value = text.strip()
    allowed = seed_values(column.code_list["seed"], column.code_list["column"])
    if value not in allowed:
        raise CellError("unknown_code", f"{value!r} is not in {column.code_list['seed']}")
    return value


def canonical(raw: object, column: Column) -> str | None:
    """Canonical text for a cell, None for an empty optional cell; raises CellError."""
    text = to_text(raw)
    if text == "":
        if column.required:
            raise CellError("missing", "required value is empty")
        return None
    kind = column.type
    if kind == "date":
        return parse_date(text).isoformat()
    if kind == "integer":
        return str(parse_integer(text, column))
    if kind == "uscc":
        return parse_uscc(text)
    if kind == "region_code":
        return parse_region(text)
    if kind == "code":
        return parse_code(text, column)
    return text
