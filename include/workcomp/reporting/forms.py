"""The statutory forms as Excel workbooks, in the layouts of seed 001's attachments.

- 《职业病人员统计情况表》 (Attachment 3), per county and reporting period, counted by diagnosis
  date (职业病诊断时间); names and ID numbers masked;
- 《尘肺病重点行业企业信息一览表》 (Attachment 2), the inspection ledger per county;
- the coverage-progress table per county (参保扩面进度表) the expansion plan asks for.

Every row comes from a mart; only row numbers (序号) and the 合计 lines, which add up the rows
shown, are counted here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SIGNATURE = "部门负责人：                    填表人：                    联系电话："

OCCUPATIONAL_DISEASE_HEADERS = (
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "职业病发病所在单位",
    "职业病诊断病种",
    "职业病诊断时间",
    "工伤认定时间",
    "劳动能力鉴定时间",
    "是否参保",
    "是否领取工伤待遇",
    "备注",
)
ENTERPRISE_HEADERS = (
    "序号",
    "所属行业",
    "企业名称",
    "企业地址",
    "职工人数",
    "企业联系人",
    "联系电话",
    "备注",
)
COVERAGE_HEADERS = (
    "序号",
    "旗县区",
    "重点行业企业数",
    "未参保企业数",
    "应参保职工人数",
    "已参保职工人数",
    "参保率",
    "年度目标",
    "差距人数",
    "是否达标",
)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent_name: str


def region(conn, code: str) -> Region:
    row = conn.execute(
        "select r.region_name, coalesce(p.region_name, r.region_name)"
        " from reference.ref_regions r left join reference.ref_regions p"
        " on p.region_code = r.parent_code where r.region_code = %s",
        [code],
    ).fetchone()
    if row is None:
        raise ValueError(f"unknown region code {code!r} (not in ref_regions)")
    return Region(code, row[0], row[1])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sheet(wb: Workbook, title: str, headers: tuple[str, ...], widths: tuple[int, ...]):
    ws = wb.active
    ws.title = title[:31]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _title(ws: Worksheet, text: str, width: int) -> None:
    ws.append([text])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.row_dimensions[1].height = 30


def _unit_row(ws: Worksheet, left: str, right: str, width: int) -> None:
    ws.append([left] + [None] * (width - 3) + [right])
    row = ws.max_row
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width - 2)
    ws.merge_cells(start_row=row, start_column=width - 1, end_row=row, end_column=width)


def _table(ws: Worksheet, headers: tuple[str, ...], rows: list[list]) -> None:
    ws.append(list(headers))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
    for values in rows:
        ws.append([_text(v) if not isinstance(v, (int, float)) else v for v in values])
        for cell in ws[ws.max_row]:
            cell.border = BOX
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text that looks like a formula stays text
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = f"A{header_row + 1}"  # a coordinate: ws.cell() would create a row


def _footer(ws: Worksheet, notes: list[str], width: int) -> None:
    ws.append([])
    ws.append([SIGNATURE])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    for note in notes:
        ws.append([note])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True)


def occupational_disease_form(
    conn, county: str, first: dt.date, last: dt.date, out_dir: Path, filled_on: dt.date
) -> Path:
    """《职业病人员统计情况表》 for one county, diagnoses dated first..last inclusive."""
    place = region(conn, county)
    rows = conn.execute(
        """
        select worker_name_masked, sex, resident_id_masked, employer_name, disease,
               diagnosis_date, recognition_date, assessment_date, is_insured, receives_benefits
        from marts.fct_occupational_disease_cases
        where region_code = %s and diagnosis_date between %s and %s
        order by diagnosis_date, employer_name, resident_id_masked
        """,
        [county, first, last],
    ).fetchall()
    wb = Workbook()
    width = len(OCCUPATIONAL_DISEASE_HEADERS)
    ws = _sheet(
        wb,
        "职业病人员统计情况表",
        OCCUPATIONAL_DISEASE_HEADERS,
        (6, 10, 6, 22, 30, 22, 14, 14, 16, 10, 14, 16),
    )
    _title(ws, f"{place.parent_name}职业病人员统计情况表", width)
    _unit_row(ws, f"填报单位：{place.name}", f"填报时间：{filled_on:%Y年%m月%d日}", width)
    ws.append([f"统计期间：{first:%Y年%m月%d日}至{last:%Y年%m月%d日}（按职业病诊断时间统计）"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    _table(
        ws, OCCUPATIONAL_DISEASE_HEADERS, [[i, *row, None] for i, row in enumerate(rows, start=1)]
    )
    insured = sum(1 for r in rows if r[8])
    paid = sum(1 for r in rows if r[9])
    ws.append([f"合计：{len(rows)}人，其中参保{insured}人，领取工伤待遇{paid}人"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    _footer(
        ws,
        [
            "注：1. 按职业病诊断时间统计；每半年报送一次（6月6日、10月10日前）。",
            "2. 姓名、身份证号码已脱敏显示；完整信息仅限稽核人员在证据视图中查阅。",
            "3. 职业病发病所在单位按诊断证明填写；是否参保、是否领取工伤待遇以社保经办数据为准。",
        ],
        width,
    )
    path = out_dir / f"职业病人员统计情况表_{county}_{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    return _save(wb, path)


def enterprise_ledger_form(conn, county: str, year: int, out_dir: Path, filled_on: dt.date) -> Path:
    """《尘肺病重点行业企业信息一览表》: the key enterprises of one county in a ledger year."""
    place = region(conn, county)
    rows = conn.execute(
        """
        select industry_category, enterprise_name, enterprise_address, workers_total,
               contact_person_masked, contact_phone_masked, workers_uninsured,
               refer_to_labour_inspection
        from marts.fct_key_enterprise_inspection_ledger
        where region_code = %s and ledger_year = %s
        order by industry_category, enterprise_name
        """,
        [county, year],
    ).fetchall()
    wb = Workbook()
    width = len(ENTERPRISE_HEADERS)
    ws = _sheet(
        wb, "尘肺病重点行业企业信息一览表", ENTERPRISE_HEADERS, (6, 12, 32, 36, 10, 12, 16, 24)
    )
    _title(ws, f"{place.parent_name}尘肺病重点行业企业信息一览表", width)
    _unit_row(ws, f"填报单位：{place.name}", f"填报时间：{filled_on:%Y年%m月%d日}", width)
    table = []
    for i, (industry, name, address, workers, contact, phone, uninsured, refer) in enumerate(
        rows, start=1
    ):
        remark = []
        if uninsured:
            remark.append(f"未参保{uninsured}人")
        if refer:
            remark.append("移交劳动监察")
        table.append([i, industry, name, address, workers, contact, phone, "；".join(remark)])
    _table(ws, ENTERPRISE_HEADERS, table)
    ws.append([f"合计：{len(rows)}户企业，职工{sum(r[3] or 0 for r in rows)}人"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    _footer(
        ws,
        [
            f"注：1. {year}年度粉尘危害基础数据库中煤矿、非煤矿山、冶金、建材等"
            "尘肺病重点行业企业。",
            "2. 备注列：未参保人数来自参保数据比对；“移交劳动监察”为仍有职工未参保的企业。",
            "3. 企业联系人已脱敏显示。",
        ],
        width,
    )
    return _save(wb, out_dir / f"尘肺病重点行业企业信息一览表_{county}_{year}.xlsx")


def coverage_progress_form(
    conn, pooling_region: str, month: dt.date, out_dir: Path, filled_on: dt.date
) -> Path:
    """参保扩面进度表: every county's key-industry coverage at a month, and the region's."""
    place = region(conn, pooling_region)
    rows = conn.execute(
        """
        select region_level, region_name, enterprise_count, uninsured_enterprise_count,
               workers_required, workers_insured, coverage_rate, target_rate, gap_workers,
               is_on_track
        from marts.fct_key_industry_coverage_county_monthly
        where coverage_month = %s and (region_code = %s or parent_code = %s)
        order by region_level = 'pooling_region', region_code
        """,
        [month, pooling_region, pooling_region],
    ).fetchall()
    targets = "，".join(
        f"{year}年底{float(rate):.0%}"
        for year, rate in conn.execute(
            "select target_year, target_rate from reference.ref_coverage_targets"
            " order by target_year"
        ).fetchall()
    )
    wb = Workbook()
    width = len(COVERAGE_HEADERS)
    ws = _sheet(wb, "参保扩面进度表", COVERAGE_HEADERS, (6, 14, 14, 12, 14, 14, 10, 10, 10, 10))
    _title(ws, f"{place.name}尘肺病重点行业工伤保险参保扩面进度表", width)
    _unit_row(ws, f"填报单位：{place.name}", f"统计月份：{month:%Y年%m月}", width)
    table = []
    n = 0
    for level, name, *figures, on_track in rows:
        counts, rates, gap = figures[:4], figures[4:6], figures[6]
        label = "合计" if level == "pooling_region" else (n := n + 1)
        rate_text = [f"{float(r):.2%}" if r is not None else "" for r in rates]
        table.append([label, name, *counts, *rate_text, gap, "是" if on_track else "否"])
    _table(ws, COVERAGE_HEADERS, table)
    _footer(
        ws,
        [
            "注：1. 年度目标（ref_coverage_targets）：" + targets + "。",
            "2. 统计口径：当月末在保人数 ÷ 粉尘危害基础数据库中重点行业职工人数；"
            f"填表日期{filled_on:%Y-%m-%d}。",
        ],
        width,
    )
    return _save(wb, out_dir / f"参保扩面进度表_{pooling_region}_{month:%Y%m}.xlsx")


def _save(wb: Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.part")
    wb.save(tmp)
    tmp.replace(path)
    return path
