"""Names and addresses carrying spreadsheet formulas, HTML and SQL (planted by the generator,
as agencies may send them) reach every report unharmed and inert: stored exactly, escaped in
HTML, text (never a formula) in XLSX."""

import datetime as dt
import re
import zipfile
from html.parser import HTMLParser

import psycopg
import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.e2e

MONTH = dt.date(2025, 12, 31)


class Elements(HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


def inert_workbook(path):
    """The workbook's text cells; fails if any cell holds a formula."""
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in book.read(name).decode("utf-8"), f"{path.name}: a formula"
    values = []
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    values.append(cell.value)
    return values


@pytest.fixture(scope="module")
def hostile(first_run):
    url, *_, truth = first_run
    planted = truth["hostile_text"]
    assert {p["field"] for p in planted} == {"name", "address"}
    with psycopg.connect(url) as conn:
        ledger = conn.execute(
            "select credit_code, region_code, ledger_year, enterprise_name, enterprise_address"
            " from marts.fct_key_enterprise_inspection_ledger where credit_code = any(%s)",
            ([p["credit_code"] for p in planted],),
        ).fetchall()
    assert ledger, "no planted employer in the key-enterprise ledger"
    return planted, ledger


def test_hostile_text_is_stored_exactly_and_never_runs(first_run, hostile):
    url, *_ = first_run
    planted, ledger = hostile
    names = {p["credit_code"]: p["text"] for p in planted if p["field"] == "name"}
    address = {p["credit_code"]: p["text"] for p in planted if p["field"] == "address"}
    for code, _, _, name, where in ledger:
        assert name == names[code]
        if code in address:
            assert where == address[code]
    with psycopg.connect(url) as conn:  # "; drop table raw.batches; --" did not run
        assert conn.execute("select count(*) from raw.batches").fetchone()[0] > 0


def test_hostile_text_is_text_in_every_workbook(first_run, hostile, tmp_path, monkeypatch):
    from workcomp.audit.commands import default_report_paths
    from workcomp.reporting.forms import enterprise_ledger_form

    url, env, *_ = first_run
    monkeypatch.setenv("WORKCOMP_STATE_DIR", env["WORKCOMP_STATE_DIR"])  # the main job's reports
    _, ledger = hostile
    with psycopg.connect(url) as conn:
        forms = {
            enterprise_ledger_form(conn, county, year, tmp_path, MONTH)
            for _, county, year, *_ in ledger
        }
    seen = set()
    for form in forms:
        seen |= set(inert_workbook(form))
    for _, _, _, name, where in ledger:
        assert name in seen  # unharmed: exactly as sent
        assert where in seen
    _, anomaly_workbook = default_report_paths(url)
    inert_workbook(anomaly_workbook)


def test_hostile_text_is_escaped_in_every_html_report(first_run, hostile, tmp_path, monkeypatch):
    from workcomp.audit.commands import default_report_paths
    from workcomp.reporting.bulletin import write_bulletin

    url, env, *_ = first_run
    monkeypatch.setenv("WORKCOMP_STATE_DIR", env["WORKCOMP_STATE_DIR"])
    planted, _ = hostile
    anomaly_html, _ = default_report_paths(url)
    with psycopg.connect(url) as conn:
        bulletin = write_bulletin(
            conn, tmp_path, "150800", MONTH, "150800", anomaly_html, pdf=False
        )
    for page in (anomaly_html, bulletin.html):
        html = page.read_text(encoding="utf-8")
        parsed = Elements()
        parsed.feed(html)
        assert "script" not in parsed.tags and "img" not in parsed.tags, page.name
        assert parsed.handlers == [], page.name
        text = "".join(parsed.text)
        for p in planted:
            if p["text"] in text:  # shown: as text, so escaped in the source
                assert p["text"] not in html or not re.search(r"[<>]", p["text"])


HOSTILE = [
    '=HYPERLINK("http://evil.example/x","点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!'A1'",
    "@SUM(1+1)",
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "'); drop table audit.case_reviews; --",
]


def test_free_text_in_the_anomaly_report_is_escaped_and_inert(tmp_path):
    """Evidence and auditors' review notes are free text: both outputs keep them as text."""
    from workcomp.audit.report import Case, render_html, write_xlsx

    cases = [
        Case(f"c{i}", "enrol_then_withdraw", "同月参保又减员", "high", "150802",
             dt.date(2025, 3, 1), "91150802MA0000000X", "1508**********123X", text,
             {"employer_name": text, "note": text}, "confirmed", text)
        for i, text in enumerate(HOSTILE)
    ]  # fmt: skip
    rules = [("enrol_then_withdraw", "同月参保又减员", "high", "seed 003")]
    html = render_html(cases, rules, "稽核疑点报告", dt.datetime(2026, 1, 5, 9, 0))
    parsed = Elements()
    parsed.feed(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert parsed.handlers == []
    text = "".join(parsed.text)
    for value in HOSTILE:
        assert value in text  # shown exactly as written
    workbook = tmp_path / "cases.xlsx"
    write_xlsx(cases, rules, workbook, "稽核疑点报告")
    cells = inert_workbook(workbook)
    for value in HOSTILE:
        assert any(value in cell for cell in cells), value
