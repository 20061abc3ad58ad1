"""The monthly bulletin (工伤保险数据月报): one self-contained HTML file per region and month,
and the same as PDF when a headless Chromium is at hand.

Every figure is a mart value. Each one is written into the page with its raw value in a
``data-value`` attribute beside the formatted text, so a reader's browser (and the tests)
can check it against the marts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from workcomp.reporting import charts
from workcomp.reporting.bulletin_data import BulletinData, load

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
ALL_KEY_INDUSTRIES = "合计"


@dataclass(frozen=True)
class BulletinFiles:
    html: Path
    pdf: Path | None
    pdf_note: str


def pct(value) -> str:
    return "" if value is None else f"{Decimal(value) * 100:.2f}%"


def per_mille(value) -> str:
    return "" if value is None else f"{Decimal(value):.2f}‰"


def count(value) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if Decimal(value) == Decimal(value).to_integral() else f"{value:,.2f}"


def money(value) -> str:
    return "" if value is None else f"{Decimal(value) / 10000:,.2f}"


def raw(value) -> str:
    """The value exactly as the mart holds it (what data-value carries)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _charts(data: BulletinData) -> dict[str, str]:
    counties = [r for r in data.coverage.rows if r["region_level"] == "county"]
    coverage_chart = charts.bars(
        f"重点行业参保率与年度目标（截至{data.coverage.as_of:%Y-%m-%d}）",
        [r["region_name"] for r in counties],
        {
            "参保率": [r["coverage_rate"] for r in counties],
            "年度目标": [r["target_rate"] for r in counties],
        },
        percent=True,
    )
    years = sorted({r["rate_year"] for r in data.rates.rows})
    series: dict[str, list] = {}
    by_key = {(r["accident_key_industry"], r["rate_year"]): r for r in data.rates.rows}
    for industry in sorted({r["accident_key_industry"] for r in data.rates.rows}):
        series[industry] = [
            (by_key.get((industry, y)) or {}).get("injury_rate_per_mille") for y in years
        ]
    path_name = f"{ALL_KEY_INDUSTRIES}·目标路径（较2020年下降20%）"
    series[path_name] = [
        (by_key.get((ALL_KEY_INDUSTRIES, y)) or {}).get("target_rate_per_mille") for y in years
    ]
    rates_chart = charts.lines(
        f"重点行业工伤发生率（‰）趋势（截至{data.rates.as_of:%Y-%m-%d}）",
        [str(y) for y in years],
        series,
        dashed={path_name},
    )
    positions_chart = charts.bars(
        f"高发岗位：认定工伤数（{data.month.year}年，截至{data.positions.as_of:%Y-%m-%d}）",
        [f"{r['position']}（{r['industry_division']}）" for r in data.positions.rows],
        {"认定工伤": [r["recognised_injuries"] for r in data.positions.rows]},
    )
    fund_chart = charts.bars(
        f"基金月度收支（元，截至{data.fund.as_of:%Y-%m-%d}）",
        [f"{r['ledger_month']:%Y-%m}" for r in data.fund.rows],
        {
            "收入": [r["total_income"] for r in data.fund.rows],
            "支出": [r["total_expenditure"] for r in data.fund.rows],
        },
    )
    months = _anomaly_months(data)
    counts = {(r["rule_code"], r["period_month"]): r["cases"] for r in data.anomalies.rows}
    anomaly_chart = charts.bars(
        f"稽核疑点数按规则（截至{data.anomalies.as_of:%Y-%m-%d}）",
        [f"{m:%Y-%m}" for m in months],
        {name: [counts.get((code, m), 0) for m in months] for code, name, _ in _rules(data)},
        stacked=True,
    )
    return {
        "coverage": coverage_chart,
        "rates": rates_chart,
        "positions": positions_chart,
        "fund": fund_chart,
        "anomalies": anomaly_chart,
    }


def _anomaly_months(data: BulletinData) -> list[dt.date]:
    months, month = [], data.anomalies.extra["first_month"]
    while month <= data.month:
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _rules(data: BulletinData) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for r in data.anomalies.rows:
        seen.setdefault(r["rule_code"], (r["rule_code"], r["rule_name"], r["severity"]))
    return sorted(seen.values())


def render(data: BulletinData, anomaly_report: str | None, generated: dt.datetime) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(pct=pct, per_mille=per_mille, count=count, money=money, raw=raw)
    months = _anomaly_months(data)
    counts = {(r["rule_code"], r["period_month"]): r for r in data.anomalies.rows}
    below = [
        r for r in data.coverage.rows if r["region_level"] == "county" and not r["is_on_track"]
    ]
    current_rates = [r for r in data.rates.rows if r["rate_year"] == data.month.year]
    return env.get_template("bulletin.html.j2").render(
        d=data,
        charts={name: jinja2_markup(svg) for name, svg in _charts(data).items()},
        below_target=below,
        current_rates=current_rates,
        anomaly_months=months,
        anomaly_rules=_rules(data),
        anomaly_counts=counts,
        anomaly_report=anomaly_report,
        generated=generated,
        all_key_industries=ALL_KEY_INDUSTRIES,
    )


def jinja2_markup(svg: str):
    """pygal's own SVG, trusted: every label in it was escaped by pygal."""
    from markupsafe import Markup

    return Markup(svg)


def bulletin_paths(out_dir: Path, region_code: str, month: dt.date) -> tuple[Path, Path]:
    stem = f"工伤保险数据月报_{region_code}_{month:%Y%m}"
    return out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"


def write_bulletin(
    conn,
    out_dir: Path,
    region_code: str,
    month: dt.date,
    pooling_region: str,
    anomaly_report: Path | None = None,
    pdf: bool = True,
) -> BulletinFiles:
    from workcomp.reporting.browser import BrowserError, find_browser, print_to_pdf

    data = load(conn, region_code, month, pooling_region)
    if not data.coverage.rows:
        raise ValueError(
            f"no coverage figures for {region_code} in {month:%Y-%m}: is the month within the "
            "marts' data, and the region a county or the pooling region?"
        )
    html_path, pdf_path = bulletin_paths(out_dir, region_code, month)
    out_dir.mkdir(parents=True, exist_ok=True)
    link = _relative(anomaly_report, out_dir) if anomaly_report else None
    page = render(data, link, dt.datetime.now().replace(microsecond=0))
    tmp = html_path.with_suffix(".html.part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(html_path)
    if not pdf:
        return BulletinFiles(html_path, None, "PDF not asked for")
    browser = find_browser()
    if browser is None:
        note = "no PDF: no headless Chromium found (install chromium or set WORKCOMP_BROWSER)"
        log.warning(note)
        return BulletinFiles(html_path, None, note)
    try:
        print_to_pdf(html_path, pdf_path, browser)
    except BrowserError as exc:
        log.warning("no PDF: %s", exc)
        return BulletinFiles(html_path, None, f"no PDF: {exc}")
    return BulletinFiles(html_path, pdf_path, f"PDF printed by {browser}")


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()
