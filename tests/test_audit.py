"""The audit rules, review and report on the generated region of the main job.

Planted cases come from the generator's ground truth; which cases a rule should find is
worked out from that truth alone (evaluation.planted_cases), never from the rules' SQL.
"""

import datetime as dt

import psycopg
import pytest

from conftest import run_dbt
from workcomp.audit.evaluation import evaluate

pytestmark = pytest.mark.e2e


def test_deterministic_rules_find_every_planted_case(first_run):
    url, *_, truth = first_run
    scores = {s.rule_code: s for s in evaluate(url, truth)}
    planted = [s for s in scores.values() if s.deterministic and s.planted]
    assert len(planted) >= 6, scores  # the tiny region plants the common kinds of case
    for score in planted:
        assert score.found == score.planted, score
    flagged = sum(s.flagged for s in scores.values() if s.deterministic)
    found = sum(s.found for s in scores.values() if s.deterministic)
    assert found / flagged >= 0.95, scores
    # Rules with nothing planted stay quiet: the region's prevention fee and training share
    # are within their bounds in every year.
    assert scores["prevention_fee_under_floor"].flagged == 0
    assert scores["training_share_short"].flagged == 0


def test_review_status_survives_a_rebuild(first_run):
    from workcomp.audit.review import record_review

    url, env, *_ = first_run
    with psycopg.connect(url) as conn:
        key = conn.execute(
            "select case_key from audit.fct_anomaly_cases order by case_key limit 1"
        ).fetchone()[0]
    record_review(url, key, "referred", "移交劳动监察", reviewer="审计一科")
    run_dbt(url, "build", "--select", "path:models/audit", "--quiet", env=env, timeout=600)
    with psycopg.connect(url) as conn:
        status = conn.execute(
            "select review_status, review_note, reviewer from audit.fct_anomaly_cases"
            " where case_key = %s",
            (key,),
        ).fetchone()
        others = conn.execute(
            "select count(*) from audit.fct_anomaly_cases"
            " where case_key <> %s and review_status <> 'open'",
            (key,),
        ).fetchone()[0]
    assert status == ("referred", "移交劳动监察", "审计一科")
    assert others == 0


def test_report_names_every_rule_and_masks_ids(first_run, tmp_path):
    from openpyxl import load_workbook

    from workcomp.audit.report import write_report

    url, *_, truth = first_run
    # Every resident ID behind a planted case: none may appear in clear in the report.
    planted_ids = {p["resident_id"] for cases in truth["anomalies"].values() for p in cases
                   if isinstance(p, dict) and "resident_id" in p}  # fmt: skip
    assert planted_ids
    html, xlsx = write_report(url, tmp_path, "150800", dt.date(2020, 1, 1), dt.date(2025, 12, 1))
    with psycopg.connect(url) as conn:
        counts = dict(
            conn.execute(
                "select rule_code, count(*) from audit.fct_anomaly_cases group by 1"
            ).fetchall()
        )
        rules = [r[0] for r in conn.execute("select rule_code from reference.ref_anomaly_rules")]
    page = html.read_text(encoding="utf-8")
    assert "工伤保险稽核疑点报告" in page
    assert not any(i in page for i in planted_ids)
    assert any(i[:4] + "*" * 10 + i[-4:] in page for i in planted_ids)  # shown masked
    book = load_workbook(xlsx)
    assert set(book.sheetnames) == {"汇总", *rules}
    for rule in rules:
        rows = list(book[rule].iter_rows(min_row=3, values_only=True))
        assert len(rows) == counts.get(rule, 0), rule
        for row in rows:
            assert not any(i in str(v) for v in row if v for i in planted_ids), row
    summary = {r[0]: r[3] for r in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary == {rule: counts.get(rule, 0) for rule in rules}
