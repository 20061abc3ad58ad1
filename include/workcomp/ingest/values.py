"""Turn one delivered cell into canonical text, or say why it cannot be.

Agencies send dates as 2021-03-05, 2021/3/5, 20210305, 2021年3月5日 or Excel serials, digits
in full width, and stray spaces. Raw tables keep canonical text (ISO dates, ASCII digits);
the original cell is kept in quarantine when a row is rejected.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from decimal import Decimal, InvalidOperation

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

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


_today_cache: tuple[float, dt.date] = (0.0, dt.date.min)


def current_date() -> dt.date:
    """Today's date, looked up at most once a minute (called for every date cell)."""
    global _today_cache
    now = time.monotonic()
    if now - _today_cache[0] > 60:
        _today_cache = (now, dt.date.today())
    return _today_cache[1]


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
    if value > (today or current_date()):
        raise CellError("future_date", f"{value.isoformat()} is in the future")
    if value.year < 1900:
        raise CellError("bad_date", f"{value.isoformat()} is before 1900")
    return value


def parse_datetime(text: str) -> dt.datetime:
    """A date with an optional time of day (accident times); seconds default to zero."""
    clean = half_width(text).replace("T", " ")
    m = re.match(r"^(.*?)[ ]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$", clean)
    if m:
        day = parse_date(m.group(1))
        hour, minute, second = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise CellError("bad_date", f"{text!r} has an impossible time of day")
        value = dt.datetime.combine(day, dt.time(hour, minute, second))
    else:
        value = dt.datetime.combine(parse_date(clean), dt.time())
    return value


def parse_month(text: str) -> str:
    """A contribution period (费款所属期): 202103, 2021-03, 2021/3, 2021年3月 -> 2021-03."""
    clean = half_width(text).replace(" ", "")
    m = re.fullmatch(r"(\d{4})(?:[-/.年]?)(\d{1,2})月?", clean)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise CellError("bad_date", f"{text!r} is not a year and month")
    if len(m.group(2)) == 1 and not re.search(r"[-/.年]", clean):
        raise CellError("bad_date", f"{text!r} is not a year and month")
    month = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    current = current_date()
    if month > f"{current.year:04d}-{current.month:02d}":
        raise CellError("future_date", f"{month} is in the future")
    return month


def parse_boolean(text: str) -> str:
    value = half_width(text).lower()
    if value in ("是", "y", "yes", "true", "1", "有"):
        return "true"
    if value in ("否", "n", "no", "false", "0", "无"):
        return "false"
    raise CellError("bad_boolean", f"{text!r} is not 是/否")


def parse_decimal(text: str, column: Column) -> str:
    clean = half_width(text).replace(",", "").replace(" ", "").removesuffix("元")
    try:
        value = Decimal(clean)
    except InvalidOperation:
        raise CellError("not_number", f"{text!r} is not a number") from None
    if not value.is_finite():
        raise CellError("not_number", f"{text!r} is not a number")
    if column.min is not None and value < column.min:
        raise CellError("out_of_range", f"{value} is below the minimum {column.min}")
    if column.max is not None and value > column.max:
        raise CellError("out_of_range", f"{value} is above the maximum {column.max}")
    return format(value.quantize(Decimal(1).scaleb(-column.scale)), "f")


def parse_resident_id(text: str, today: dt.date | None = None) -> str:
    """GB 11643 resident ID: 18 characters, check character, a real birth date."""
    number = half_width(text).replace(" ", "").upper()
    if len(number) != 18:
        raise CellError("bad_length", f"{mask_id(number)} is not 18 characters")
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise CellError("bad_format", f"{mask_id(number)} is not a resident ID number")
    if number[-1] != ric.calc_check_digit(number):
        raise CellError("bad_check_digit", f"{mask_id(number)} fails the GB 11643 check digit")
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        raise CellError("bad_birth_date", f"{mask_id(number)} holds no real birth date") from None
    if born > (today or current_date()) or born.year < 1900:
        raise CellError("bad_birth_date", f"{mask_id(number)} holds an impossible birth date")
    return number


def sex_of_resident_id(number: str) -> str:
    """男 if the 17th digit is odd, else 女 (GB 11643)."""
    return "男" if int(number[16]) % 2 else "女"


def mask_id(number: str) -> str:
    """3504**********123X: enough to find a record, not enough to use it."""
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else "****"


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


def parse_industry(text: str) -> str:
    """GB/T 4754-2017 division, group or class (2–4 digits) under a known division."""
    code = half_width(text).replace(" ", "")
    if not re.fullmatch(r"\d{2,4}", code):
        raise CellError("bad_format", f"{text!r} is not a GB/T 4754 industry code")
    if code[:2] not in seed_values("ref_industry_divisions", "division_code"):
        raise CellError("unknown_code", f"{code} is not under a GB/T 4754-2017 division")
    return code


def parse_code(text: str, column: Column) -> str:
    value = text.strip()
    allowed = seed_values(column.code_list["seed"], column.code_list["column"])
    if value not in allowed:
        raise CellError("unknown_code", f"{value!r} is not in {column.code_list['seed']}")
    return value


# Excel's own limit for one cell: a longer value is not something an agency typed.
MAX_CELL_CHARS = 32_767


def canonical(raw: object, column: Column) -> str | None:
    """Canonical text for a cell, None for an empty optional cell; raises CellError."""
    text = to_text(raw)
    if "\x00" in text:  # Postgres text cannot hold U+0000
        raise CellError("nul_character", "holds a NUL character (U+0000)")
    if len(text) > MAX_CELL_CHARS:
        raise CellError(
            "too_long", f"{len(text)} characters; a cell holds at most {MAX_CELL_CHARS}"
        )
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
    if kind == "industry_code":
        return parse_industry(text)
    if kind == "datetime":
        return parse_datetime(text).isoformat(sep=" ")
    if kind == "month":
        return parse_month(text)
    if kind == "boolean":
        return parse_boolean(text)
    if kind == "decimal":
        return parse_decimal(text, column)
    if kind == "resident_id":
        return parse_resident_id(text)
    return text
