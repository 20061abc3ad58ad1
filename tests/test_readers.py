import pytest
from openpyxl import Workbook

from workcomp.contracts import get_contract
from workcomp.ingest.readers import FileUnreadable, detect_encoding, open_delivered

ROSTER = get_contract("health", "dust_enterprises")
EMPLOYERS = get_contract("social_insurance", "employers")
CODE = "91150802MA0N000004"  # any text: readers do not validate


def _roster_workbook(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["巴彦淖尔市尘肺病重点行业企业信息一览表"])
    ws.merge_cells("A1:J1")
    ws.append(["填报单位：临河区卫生健康委员会", None, None, None, None, "填报时间：2021年6月5日"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["部门负责人：", None, "填表人：", None, "联系电话："])
    ws.append(["after the signature row", "should", "never", "be", "read"])
    wb.save(path)


def test_xlsx_form_reads_title_fields_data_rows_and_stops_at_signature(tmp_path):
    path = tmp_path / "roster.xlsx"
    header = ["序号", "所属 行业", "企业名称", "统一社会信用代码", "行政区划代码", "企业地址",
              "职工\n人数", "企业联系人", "联系电话", "备注"]  # fmt: skip
    rows = [[1, "煤矿", "甲煤业", CODE, "150802", "临河", 120, "王", "1", None],
            [None] * 10,
            [2, "冶金", "乙冶炼", CODE, "150821", "五原", 30, "李", "2", "x"]]  # fmt: skip
    _roster_workbook(path, header, rows)
    delivered = open_delivered(path, ROSTER)
    assert delivered.form_values == {
        "report_unit": "临河区卫生健康委员会",
        "report_date": "2021年6月5日",
    }
    got = list(delivered.rows)
    # Title row 1, form row 2, header row 3: data on Excel rows 4 and 6 (5 is blank).
    assert [n for n, _ in got] == [4, 6]
    assert got[0][1]["enterprise_name"] == "甲煤业"
    assert got[1][1]["worker_count"] == 30


def test_xlsx_without_required_header_names_file_and_columns(tmp_path):
    path = tmp_path / "roster.xlsx"
    _roster_workbook(path, ["序号", "所属行业", "企业名称", "企业地址"], [])
    with pytest.raises(FileUnreadable) as err:
        open_delivered(path, ROSTER)
    assert "roster.xlsx" in str(err.value)
    assert "统一社会信用代码" in str(err.value) and "职工人数" in str(err.value)


def test_corrupt_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(FileUnreadable, match=r"broken\.xlsx: not a readable xlsx"):
        open_delivered(path, ROSTER)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_agencies_use(tmp_path, encoding):
    path = tmp_path / "employers.csv"
    text = ("统一社会信用代码,单位名称,行政区划代码,行业代码,参保人数,统计日期\r\n"
            f"{CODE},巴彦淖尔市河套建材有限公司,150802,3021,88,2021/12/31\r\n")  # fmt: skip
    path.write_bytes(text.encode(encoding))
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}
    assert detect_encoding(path) == expected[encoding]
    rows = list(open_delivered(path, EMPLOYERS).rows)
    assert rows == [(2, {"credit_code": CODE, "employer_name": "巴彦淖尔市河套建材有限公司",
                         "region_code": "150802", "industry_code": "3021",
                         "insured_count": "88", "snapshot_date": "2021/12/31"})]  # fmt: skip


def test_csv_missing_required_column(tmp_path):
    path = tmp_path / "employers.csv"
    path.write_text("统一社会信用代码,单位名称\n1,2\n", encoding="utf-8")
    with pytest.raises(
        FileUnreadable, match=r"employers\.csv: missing required columns: 行政区划代码"
    ):
        open_delivered(path, EMPLOYERS)


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "employers.dbf"
    path.write_bytes(b"\x03")
    with pytest.raises(FileUnreadable, match=r"employers\.dbf: unsupported file type"):
        open_delivered(path, EMPLOYERS)


def test_vertically_merged_cells_fill_every_row_they_span(tmp_path):
    path = tmp_path / "merged.xlsx"
    header = ["序号", "所属行业", "企业名称", "统一社会信用代码", "行政区划代码", "职工人数"]
    rows = [[1, "煤矿", "甲煤业", CODE, "150802", 10],
            [2, None, "乙煤业", CODE, "150802", 20],
            [3, None, "丙煤业", CODE, "150821", 30],
            [4, "冶金", "丁冶炼", CODE, "150821", 40]]  # fmt: skip
    _roster_workbook(path, header, rows)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active.merge_cells("B4:B6")  # 所属行业 煤矿 for the three coal mines
    wb.save(path)
    got = [
        (n, r["industry_category"], r["enterprise_name"])
        for n, r in open_delivered(path, ROSTER).rows
    ]
    assert got == [
        (4, "煤矿", "甲煤业"),
        (5, "煤矿", "乙煤业"),
        (6, "煤矿", "丙煤业"),
        (7, "冶金", "丁冶炼"),
    ]
