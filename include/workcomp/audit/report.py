"""The anomaly report for audit staff (稽核疑点报告): an HTML page and an XLSX workbook per
region and period, read from ``audit.fct_anomaly_cases``. ID numbers appear masked only;
every value is escaped in HTML and stored as inert text in Excel."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

SEVERITY_ZH = {"critical": "严重", "high": "高", "medium": "中"}
STATUS_ZH = {"open": "待核查", "confirmed": "已核实", "dismissed": "已排除", "referred": "已移交"}
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Case:
    case_key: str
    rule_code: str
    rule_name: str
    severity: str
    region_code: str
    period_month: dt.date
    credit_code: str | None
    resident_id_masked: str | None
    reference_id: str | None
    evidence: dict
    review_status: str
    review_note: str | None


def load_cases(url: str, region: str, first: dt.date, last: dt.date) -> list[Case]:
    """Cases whose county or pooling region starts with ``region`` (e.g. 150800 → 1508) and
    whose period lies between ``first`` and ``last``."""
    from workcomp.warehouse.connection import connect

    prefix = region.rstrip("0") or region
    # The pooling region's report also carries cases whose county is unknown (an employer
    # missing from the registry); a county's report carries only its own.
    whole_region = region.endswith("00")
    with connect(url) as conn:
        rows = conn.execute(
            """
            select case_key, rule_code, rule_name, severity, region_code, period_month,
                   credit_code, resident_id_masked, reference_id, evidence, review_status,
                   review_note
            from audit.fct_anomaly_cases
            where (region_code like %s or (%s and region_code is null))
              and period_month between %s and %s
            order by rule_code, period_month, case_key
            """,
            (prefix + "%", whole_region, first, last),
        ).fetchall()
    return [Case(*row) for row in rows]


def _rules(url: str) -> list[tuple[str, str, str, str]]:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        return conn.execute(
            "select rule_code, rule_name, severity, source from reference.ref_anomaly_rules"
            " order by rule_code"
        ).fetchall()


def _evidence_text(evidence: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in evidence.items() if v is not None)


def render_html(cases: list[Case], rules: list[tuple], title: str, generated: dt.datetime) -> str:
    import jinja2

    by_rule: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_rule[case.rule_code].append(case)
    months = sorted({c.period_month for c in cases})
    trend = Counter((c.rule_code, c.period_month) for c in cases)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("workcomp.audit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("anomaly_report.html.j2").render(
        title=title,
        generated=generated,
        rules=rules,
        by_rule=by_rule,
        months=months,
        trend=trend,
        severity_zh=SEVERITY_ZH,
        status_zh=STATUS_ZH,
        evidence_text=_evidence_text,
        total=len(cases),
        open_cases=sum(c.review_status == "open" for c in cases),
    )


def append_inert(sheet, values) -> None:
    """Append a row whose text cells are stored as text, so a value such as
    ``=HYPERLINK(...)`` shows as written and never runs as a formula (openpyxl would
    otherwise store it as one)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"


def write_xlsx(cases: list[Case], rules: list[tuple], path: Path, title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["规则代码", "规则名称", "严重程度", "疑点数", "待核查", "依据"])
    counts = Counter(c.rule_code for c in cases)
    open_counts = Counter(c.rule_code for c in cases if c.review_status == "open")
    for code, name, severity, source in rules:
        append_inert(summary, [code, name, SEVERITY_ZH.get(severity, severity), counts[code],
                               open_counts[code], source])  # fmt: skip
    headers = ["疑点编号", "所属期", "行政区划", "单位统一社会信用代码", "身份证号(脱敏)",
               "业务编号", "疑点依据", "核查状态", "核查说明"]  # fmt: skip
    for code, name, _, _ in rules:
        sheet = book.create_sheet(code[:31])
        sheet.append([f"{name} ({code})"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(headers)
        for case in (c for c in cases if c.rule_code == code):
            append_inert(sheet, [
                case.case_key, case.period_month.strftime("%Y-%m"), case.region_code,
                case.credit_code, case.resident_id_masked, case.reference_id,
                _evidence_text(case.evidence), STATUS_ZH.get(case.review_status),
                case.review_note,
            ])  # fmt: skip
        for column, width in zip("ABCDEFGHI", (34, 9, 10, 22, 20, 16, 60, 9, 30), strict=True):
            sheet.column_dimensions[column].width = width
    book.save(path)


def report_paths(out_dir: Path, region: str, first: dt.date, last: dt.date) -> tuple[Path, Path]:
    """Where the report for a region and period is written: (HTML, XLSX)."""
    stem = f"anomaly-report-{region}-{first:%Y%m}-{last:%Y%m}"
    return out_dir / f"{stem}.html", out_dir / f"{stem}.xlsx"


def write_report(
    url: str, out_dir: Path, region: str, first: dt.date, last: dt.date
) -> tuple[Path, Path]:
    """Write the HTML page and the workbook; return their paths."""
    cases = load_cases(url, region, first, last)
    rules = _rules(url)
    title = f"工伤保险稽核疑点报告 · {region} · {first:%Y-%m}—{last:%Y-%m}"
    out_dir.mkdir(parents=True, exist_ok=True)
    html, xlsx = report_paths(out_dir, region, first, last)
    html.write_text(render_html(cases, rules, title, dt.datetime.now()), encoding="utf-8")
    write_xlsx(cases, rules, xlsx, title)
    return html, xlsx
