"""The monthly bulletin, rendered by a real browser, and the statutory forms, read back by a
library that did not write them (calamine), on the generated region of the main job."""

import datetime as dt
import os
import re
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser

import psycopg
import pytest

pytestmark = pytest.mark.e2e

POOLING = "150800"
MONTH = dt.date(2025, 12, 1)
SECTIONS = {"coverage", "rates", "positions", "fund", "anomalies"}
# Seed 002 §二: accident key industries by GB/T 4754 division.
ACCIDENT_KEY = (
    "25",
    "26",
    "06",
    "07",
    "08",
    "09",
    "10",
    "11",
    "12",
    "31",
    "32",
    "47",
    "48",
    "49",
    "50",
    "53",
    "54",
    "55",
    "56",
    "57",
    "58",
    "33",
    "34",
    "35",
    "36",
    "37",
    "38",
)
# Seed 001 Attachments 3 and 2, column by column.
DISEASE_FORM_HEADERS = [
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
]
ENTERPRISE_FORM_HEADERS = [
    "序号",
    "所属行业",
    "企业名称",
    "企业地址",
    "职工人数",
    "企业联系人",
    "联系电话",
    "备注",
]


def browser_or_skip() -> str:
    from workcomp.reporting.browser import find_browser

    browser = find_browser()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: .ci/run installs Debian's chromium package")
        pytest.skip(
            "no browser found: install chromium (apt-get install chromium) or set "
            "WORKCOMP_BROWSER to render the bulletin"
        )
    return browser


class Page(HTMLParser):
    """Sections, their charts and as-of notes, and every figure (data-key → value, text)."""

    def __init__(self):
        super().__init__()
        self.section = None
        self.sections: dict[str, dict] = {}
        self.figures: dict[str, tuple[str, str]] = {}
        self._figure = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs["id"]
            self.sections[self.section] = {"svg": 0, "text": ""}
        elif tag == "svg" and self.section:
            self.sections[self.section]["svg"] += 1
        elif tag == "span" and "data-key" in attrs:
            self._figure = (attrs["data-key"], attrs["data-value"])
            self._text = []

    def handle_endtag(self, tag):
        if tag == "span" and self._figure:
            key, value = self._figure
            assert key not in self.figures, f"figure {key} shown twice"
            self.figures[key] = (value, "".join(self._text))
            self._figure = None

    def handle_data(self, data):
        if self._figure:
            self._text.append(data)
        if self.section:
            self.sections[self.section]["text"] += data


def rows(url, sql, params=()):
    with psycopg.connect(url) as conn:
        cur = conn.execute(sql, params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def value(page, key):
    raw, _ = page.figures[key]
    return None if raw == "" else Decimal(raw)


@pytest.fixture(scope="module")
def bulletin(first_run, tmp_path_factory):
    from workcomp.reporting.browser import rendered_dom
    from workcomp.reporting.bulletin import write_bulletin

    browser = browser_or_skip()
    url, *_ = first_run
    out = tmp_path_factory.mktemp("bulletin")
    with psycopg.connect(url) as conn:
        files = write_bulletin(conn, out, POOLING, MONTH, POOLING, out / "anomaly.html")
    page = Page()
    page.feed(rendered_dom(files.html, browser))
    return files, page


def test_bulletin_is_one_offline_file_with_every_section_and_a_pdf(bulletin):
    files, page = bulletin
    html = files.html.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)  # nothing to fetch or run
    assert not re.search(r"(src|href)=\"https?:", html)
    assert set(page.sections) == SECTIONS
    for name, section in page.sections.items():
        assert section["svg"] >= 1, name
        assert "数据截至：2025-12-31" in section["text"], name
    assert files.pdf is not None and files.pdf.read_bytes()[:5] == b"%PDF-"


def test_bulletin_coverage_equals_the_mart_and_the_truth(bulletin, first_run):
    _, page = bulletin
    url, *_, truth = first_run
    mart = rows(
        url,
        "select * from marts.fct_key_industry_coverage_county_monthly where coverage_month = %s",
        [MONTH],
    )
    assert {r["region_level"] for r in mart} == {"county", "pooling_region"}
    for r in mart:
        for column in (
            "workers_required",
            "workers_insured",
            "coverage_rate",
            "target_rate",
            "gap_workers",
        ):
            assert value(page, f"coverage.{r['region_code']}.{column}") == r[column], column
    # The region's row against the generator: roster headcount and insured in December 2025.
    required = insured = 0
    for key, cell in truth["coverage_monthly"].items():
        if key.startswith("2025-12:"):
            required += cell["workers_required"]
            insured += cell["workers_insured"]
    assert value(page, f"coverage.{POOLING}.workers_required") == required
    assert value(page, f"coverage.{POOLING}.workers_insured") == insured
    below = {r["region_name"] for r in mart if r["region_level"] == "county" and insured_short(r)}
    text = page.sections["coverage"]["text"]
    for name in below:
        assert name in text.split("未达年度目标的旗县区：")[1]


def insured_short(r) -> bool:
    return r["workers_insured"] < r["target_rate"] * r["workers_required"]


def test_bulletin_key_industry_rates_equal_the_mart_and_the_truth(bulletin, first_run):
    _, page = bulletin
    url, *_, truth = first_run
    mart = rows(
        url,
        "select * from marts.fct_key_industry_injury_rates"
        " where region_code = %s and rate_year = 2025",
        [POOLING],
    )
    assert mart
    for r in mart:
        key = f"rates.{r['accident_key_industry']}"
        for column in (
            "avg_insured_workers",
            "recognised_injuries",
            "injury_rate_per_mille",
            "baseline_rate_per_mille",
            "target_rate_per_mille",
        ):
            assert value(page, f"{key}.{column}") == r[column], (key, column)
    # All key industries together (合计), from the generator's person-months and injuries.
    months = sum(
        n
        for k, n in truth["rates"]["insured_person_months"].items()
        if k.startswith("2025:") and k.split(":")[2] in ACCIDENT_KEY
    )
    injuries = sum(
        n
        for k, n in truth["rates"]["recognised_injuries"].items()
        if k.startswith("2025:") and k.split(":")[2] in ACCIDENT_KEY
    )
    assert value(page, "rates.合计.recognised_injuries") == injuries
    expected = (Decimal(injuries) * 1000 / (Decimal(months) / 12)).quantize(Decimal("0.0001"))
    assert abs(value(page, "rates.合计.injury_rate_per_mille") - expected) <= Decimal("0.0002")


def test_bulletin_positions_groups_fund_and_anomalies_equal_the_marts(bulletin, first_run):
    _, page = bulletin
    url, *_ = first_run
    # Positions with injuries in 2025: ranked ones first by rate, then the rest by count.
    injured = rows(
        url,
        "select * from marts.fct_high_risk_positions where injury_year = 2025"
        " and recognised_injuries > 0",
    )
    shown = {tuple(k.split(".")[1:3]) for k in page.figures if k.startswith("positions.")}
    assert len(shown) == min(len(injured), 10)
    for r in injured:
        key = (r["industry_division"], r["position"])
        if key in shown:
            assert (
                value(page, f"positions.{'.'.join(key)}.recognised_injuries")
                == (r["recognised_injuries"])
            )
    ranked = [r for r in injured if r["rank_in_division"] is not None]
    if len(ranked) <= 10:  # every ranked position makes the top ten
        assert {(r["industry_division"], r["position"]) for r in ranked} <= shown
    groups = rows(
        url,
        "select * from marts.fct_injury_rates_by_group"
        " where rate_year = 2025 and rank_in_year <= 5 and recognised_injuries > 0",
    )
    assert groups
    for r in groups:
        key = f"groups.{r['sex']}.{r['age_band']}"
        assert value(page, f"{key}.injury_rate_per_mille") == r["injury_rate_per_mille"]
    fund = rows(
        url,
        "select * from marts.fct_fund_monthly where region_code = %s"
        " and ledger_month between '2025-01-01' and '2025-12-01'",
        [POOLING],
    )
    assert len(fund) == 12
    for r in fund:
        key = f"fund.{r['ledger_month']:%Y-%m}"
        assert value(page, f"{key}.total_income") == r["total_income"]
        assert value(page, f"{key}.total_expenditure") == r["total_expenditure"]
    (year,) = rows(url, "select * from marts.fct_fund_yearly where fund_year = 2025")
    assert value(page, "fund.prevention_fee_ratio") == year["prevention_fee_ratio"]
    assert value(page, "fund.prevention_fee_cap") == year["prevention_fee_cap"]
    # Anomalies in December 2025 by rule: the counts shown add up to the cases themselves.
    cases = rows(
        url,
        "select rule_code, count(*) as n from audit.fct_anomaly_cases"
        " where period_month = %s group by rule_code",
        [MONTH],
    )
    for c in cases:
        assert value(page, f"anomalies.{c['rule_code']}.2025-12") == c["n"], c


def read_sheet(path):
    import pandas as pd

    frame = pd.read_excel(path, engine="calamine", header=None, dtype=str).fillna("")
    return [[cell for cell in row] for row in frame.itertuples(index=False)]


def test_occupational_disease_form_has_the_seed_layout_and_the_truths_totals(first_run, tmp_path):
    from workcomp.reporting.forms import occupational_disease_form

    url, *_, truth = first_run
    # Every case the generator diagnosed, 2020–2025, per county of the employer.
    expected: dict[str, dict[str, int]] = defaultdict(
        lambda: {"cases": 0, "insured": 0, "receiving_benefits": 0}
    )
    for key, cell in truth["occupational_disease_by_county"].items():
        for field, n in cell.items():
            expected[key.split(":")[1]][field] += n
    assert sum(c["cases"] for c in expected.values()) > 0
    with psycopg.connect(url) as conn:
        names = dict(conn.execute("select region_code, region_name from reference.ref_regions"))
        counties = [c for c, n in names.items() if c.startswith("1508") and c != POOLING]
        for county in counties:  # counties without a case get an empty form with its totals
            want = expected[county]
            path = occupational_disease_form(
                conn,
                county,
                dt.date(2020, 1, 1),
                dt.date(2025, 12, 31),
                tmp_path,
                dt.date(2026, 1, 5),
            )
            sheet = read_sheet(path)
            assert sheet[0][0] == "巴彦淖尔市职业病人员统计情况表"
            assert sheet[1][0] == f"填报单位：{names[county]}"
            assert "按职业病诊断时间统计" in sheet[2][0]
            assert sheet[3] == DISEASE_FORM_HEADERS
            body = [r for r in sheet[4:] if re.fullmatch(r"\d+", r[0])]
            assert [r[0] for r in body] == [str(i) for i in range(1, want["cases"] + 1)]
            assert all(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", r[3]) for r in body)
            assert all(r[1][1:] and set(r[1][1:]) == {"*"} for r in body)  # surname only
            assert all("2020-01-01" <= r[6] <= "2025-12-31" for r in body)
            total = sheet[4 + len(body)][0]
            assert total == (
                f"合计：{want['cases']}人，其中参保{want['insured']}人，"
                f"领取工伤待遇{want['receiving_benefits']}人"
            )
            rest = " ".join(r[0] for r in sheet[5 + len(body) :])
            assert all(word in rest for word in ("部门负责人", "填表人", "联系电话", "注："))


def test_enterprise_ledger_and_coverage_forms_add_up_to_the_truth(first_run, tmp_path):
    from workcomp.reporting.forms import coverage_progress_form, enterprise_ledger_form

    url, *_, truth = first_run
    required: dict[str, int] = defaultdict(int)
    insured: dict[str, int] = defaultdict(int)
    for key, cell in truth["coverage_monthly"].items():
        month, county, _ = key.split(":")
        if month == "2025-12":
            required[county] += cell["workers_required"]
            insured[county] += cell["workers_insured"]
    with psycopg.connect(url) as conn:
        for county in required:
            sheet = read_sheet(enterprise_ledger_form(conn, county, 2025, tmp_path, MONTH))
            assert sheet[0][0] == "巴彦淖尔市尘肺病重点行业企业信息一览表"
            assert sheet[2] == ENTERPRISE_FORM_HEADERS
            body = [r for r in sheet[3:] if re.fullmatch(r"\d+", r[0])]
            assert sum(int(r[4]) for r in body) == required[county]  # the year's roster
            assert all(r[3] for r in body)  # every enterprise has its address
            assert "部门负责人" in " ".join(r[0] for r in sheet[3 + len(body) :])
        sheet = read_sheet(coverage_progress_form(conn, POOLING, MONTH, tmp_path, MONTH))
    assert sheet[2][:7] == [
        "序号",
        "旗县区",
        "重点行业企业数",
        "未参保企业数",
        "应参保职工人数",
        "已参保职工人数",
        "参保率",
    ]
    by_county = {r[1]: r for r in sheet[3:] if re.fullmatch(r"\d+", r[0])}
    total = next(r for r in sheet[3:] if r[0] == "合计")
    assert len(by_county) == len(required)
    assert int(total[4]) == sum(required.values()) and int(total[5]) == sum(insured.values())
    assert sum(int(r[4]) for r in by_county.values()) == sum(required.values())
