"""`workcomp audit …`: the anomaly report, case review and the rules' evaluation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.table import Table

from workcomp import settings
from workcomp.summaries import console


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a month like 2025-01") from error


def reports_dir() -> Path:
    return settings.state_dir() / "reports"


@click.group("audit")
def audit() -> None:
    """Anomaly report, case review and rule evaluation for audit staff (稽核)."""


def default_period(url: str) -> tuple[dt.date, dt.date]:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        first, last = conn.execute(
            "select min(period_month), max(period_month) from audit.fct_anomaly_cases"
        ).fetchone()
    today = dt.date.today().replace(day=1)
    return first or today, last or today


def default_report(url: str) -> tuple[str, dt.date, dt.date]:
    """The whole pooling region over every period with cases: (region, first, last)."""
    from workcomp.audit.evaluation import dbt_vars

    first, last = default_period(url)
    return dbt_vars()["pooling_region_code"], first, last


def write_default_report(url: str) -> tuple[Path, Path]:
    from workcomp.audit.report import write_report

    return write_report(url, reports_dir(), *default_report(url))


def default_report_paths(url: str) -> tuple[Path, Path]:
    """Where the quality DAG wrote the default report (the main job names, not rewrites, it)."""
    from workcomp.audit.report import report_paths

    return report_paths(reports_dir(), *default_report(url))


@audit.command("report")
@click.option("--region", help="County or pooling-region code (default: the pooling region).")
@click.option("--from", "first", help="First month, e.g. 2025-01 (default: earliest case).")
@click.option("--to", "last", help="Last month, e.g. 2025-12 (default: latest case).")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for the files.")
def report_cmd(region: str | None, first: str | None, last: str | None, out: Path | None) -> None:
    """Write the anomaly report as HTML and XLSX and print their paths."""
    from workcomp.audit.evaluation import dbt_vars
    from workcomp.audit.report import write_report
    from workcomp.warehouse.connection import database_url

    url = database_url()
    default_first, default_last = default_period(url)
    html, xlsx = write_report(
        url,
        out or reports_dir(),
        region or dbt_vars()["pooling_region_code"],
        _month(first) if first else default_first,
        _month(last) if last else default_last,
    )
    console.print(f"Anomaly report (稽核疑点报告): {html}\nWorkbook: {xlsx}")


@audit.command("review")
@click.argument("case_key")
@click.option("--status", type=click.Choice(["confirmed", "dismissed", "referred"]), required=True)
@click.option("--note", default="", help="What the review found (核查说明).")
@click.option("--reviewer", default="", help="Reviewer (default: the login name).")
def review_cmd(case_key: str, status: str, note: str, reviewer: str) -> None:
    """Record a review decision on one case; it stays through every rebuild."""
    from workcomp.audit.review import UnknownCase, record_review
    from workcomp.warehouse.connection import database_url

    try:
        record_review(database_url(), case_key, status, note, reviewer)
    except UnknownCase as error:
        raise click.ClickException(str(error)) from error
    console.print(f"{case_key}: {status}")


@audit.command("evaluate")
@click.option(
    "--truth",
    type=click.Path(exists=True, path_type=Path),
    help="Ground truth of a generated region (default: the one the main job generated).",
)
def evaluate_cmd(truth: Path | None) -> None:
    """Recall and precision of each rule against the generator's planted cases."""
    from workcomp.audit.evaluation import evaluate
    from workcomp.warehouse.connection import database_url

    path = truth or settings.state_dir() / "generated" / "ground_truth.json"
    scores = evaluate(database_url(), json.loads(path.read_text(encoding="utf-8")))
    print_scores(scores)


def print_scores(scores) -> None:
    table = Table(title="Audit rules against the planted cases (规则查全率/查准率)")
    for header in ("Rule 规则", "Planted 植入", "Flagged 检出", "Found 命中", "Recall 查全率",
                   "Precision 查准率"):  # fmt: skip
        table.add_column(header, justify="left" if header.startswith("Rule") else "right")
    for s in scores:
        recall = "—" if s.recall is None else f"{s.recall:.0%}"
        precision = "—" if s.precision is None or not s.deterministic else f"{s.precision:.0%}"
        name = s.rule_code + ("" if s.deterministic else " (screening 筛查)")
        table.add_row(name, str(s.planted), str(s.flagged), str(s.found), recall, precision)
    console.print(table)
