import datetime as dt
import random

import pytest
from stdnum.cn import uscc

from workcomp.codes import corrupt_check_digit, credit_code
from workcomp.contracts import Column
from workcomp.ingest.values import CellError, canonical, parse_date

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    "text",
    ["2021-03-05", "2021/3/5", "20210305", "2021年3月5日", "2021.03.05", "２０２１－０３－０５",
     " 2021-03-05 ", "2021-03-05 00:00:00", "44260"],
)  # fmt: skip
def test_every_delivered_date_form_means_5_march_2021(text):
    # 44260 is the Excel serial of 2021-03-05 (days since 1899-12-30).
    assert parse_date(text, today=TODAY) == dt.date(2021, 3, 5)


@pytest.mark.parametrize(
    ("text", "code"),
    [("2021-02-30", "bad_date"), ("2021年13月1日", "bad_date"), ("下周一", "bad_date"),
     ("2030-01-01", "future_date")],
)  # fmt: skip
def test_bad_dates_are_rejected_with_a_reason(text, code):
    with pytest.raises(CellError) as err:
        parse_date(text, today=TODAY)
    assert err.value.code == code


def test_integers_accept_full_width_digits_and_excel_floats():
    column = Column(name="n", type="integer", min=0)
    assert canonical("１２３", column) == "123"
    assert canonical(45.0, column) == "45"
    assert canonical("1,200", column) == "1200"
    for bad, code in (("约50人", "not_integer"), ("-3", "out_of_range"), ("4.5", "not_integer")):
        with pytest.raises(CellError) as err:
            canonical(bad, column)
        assert err.value.code == code


def test_required_empty_cell_is_missing_and_optional_is_null():
    assert canonical("  ", Column(name="x")) is None
    with pytest.raises(CellError) as err:
        canonical(None, Column(name="x", required=True))
    assert err.value.code == "missing"


def test_generated_credit_codes_pass_stdnum_and_corrupted_ones_fail():
    rng = random.Random(5)
    column = Column(name="c", type="uscc")
    for _ in range(200):
        code = credit_code(rng, "150802")
        assert uscc.is_valid(code)
        assert canonical(code.lower(), column) == code
        bad = corrupt_check_digit(code)
        assert not uscc.is_valid(bad)
        with pytest.raises(CellError) as err:
            canonical(bad, column)
        assert err.value.code == "bad_check_digit"


def test_region_codes_must_be_in_use():
    column = Column(name="r", type="region_code")
    assert canonical("１５０８２５", column) == "150825"  # full width 乌拉特后旗
    for bad, code in (("159999", "unknown_code"), ("15082", "bad_format")):
        with pytest.raises(CellError) as err:
            canonical(bad, column)
        assert err.value.code == code


def _column(kind, **kw):
    return Column(name="c", type=kind, **kw)


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("decimal", "十万", "not_number"),
        ("decimal", "NaN", "not_number"),
        ("boolean", "也许", "bad_boolean"),
        ("resident_id", "15082119800101001", "bad_length"),
        ("resident_id", "1508211980010100AX", "bad_format"),
        ("resident_id", "150821198001010010", "bad_check_digit"),
        ("uscc", "9115080", "bad_length"),
        ("uscc", "9115080A0000000000", "bad_format"),
        ("month", "2021-13", "bad_date"),
        ("month", "20213", "bad_date"),
        ("month", "2999-01", "future_date"),
        ("datetime", "2021-03-05 25:10", "bad_date"),
        ("industry_code", "A01", "bad_format"),
        ("industry_code", "9901", "unknown_code"),
        ("date", "2021-02-30", "bad_date"),
    ],
)  # fmt: skip
def test_every_value_reason_code(kind, text, code):
    with pytest.raises(CellError) as err:
        canonical(text, _column(kind))
    assert err.value.code == code


def test_decimal_range_and_canonical_forms():
    assert canonical("１，２００．５元", _column("decimal")) == "1200.50"
    assert canonical("2021年3月", _column("month")) == "2021-03"
    assert canonical("202103", _column("month")) == "2021-03"
    assert canonical("2021/3/5 8:05", _column("datetime")) == "2021-03-05 08:05:00"
    assert canonical("否", _column("boolean")) == "false"
    # A rate keeps its four places (0.0228, not 0.02); half-even beyond them.
    assert canonical("0.0228", _column("decimal", scale=4)) == "0.0228"
    assert canonical("0.02285", _column("decimal", scale=4)) == "0.0228"
    assert canonical("2.392", _column("decimal", scale=3)) == "2.392"
    with pytest.raises(CellError) as err:
        canonical("0.09", _column("decimal", max=0.05))
    assert err.value.code == "out_of_range"
