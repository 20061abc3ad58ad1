"""`workcomp report …`: the monthly bulletin and the statutory forms, and what the reporting
DAG and the main job write by default."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import click

from workcomp import settings
from workcomp.summaries import console


def reports_dir() -> Path:
    return settings.state_dir() / "reports"


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a month like 2025-01") from error


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a date like 2025-06-30") from error


def pooling_region() -> str:
    from workcomp.audit.evaluation import dbt_vars

    return str(dbt_vars()["pooling_region_code"])


def report_month(conn, wanted: dt.date | None = None) -> dt.date:
    """The month asked for, else the last month the marts hold; never past that month."""
    from workcomp.reporting.bulletin_data import latest_month

    latest = latest_month(conn)
    if latest is None:
        raise click.ClickException("the marts hold no coverage figures yet: run the build first")
    if wanted is None:
        return latest
    return min(wanted.replace(day=1), latest)


def counties(conn, region: str) -> list[str]:
    return [
        c
        for (c,) in conn.execute(
            "select region_code from reference.ref_regions where parent_code = %s"
            " and region_level = 'county' order by region_code",
            [region],
        ).fetchall()
    ]


@dataclass
class Outputs:
    month: dt.date
    bulletin_html: Path
    bulletin_pdf: Path | None
    pdf_note: str
    forms: list[Path] = field(default_factory=list)

    def record(self) -> dict:
        return {
            "month": self.month.isoformat(),
            "bulletin_html": str(self.bulletin_html),
            "bulletin_pdf": str(self.bulletin_pdf) if self.bulletin_pdf else None,
            "pdf_note": self.pdf_note,
            "forms": [str(f) for f in self.forms],
        }


def latest_outputs_path() -> Path:
    """What the last reporting run wrote (the main job names these files)."""
    return reports_dir() / "latest-reports.json"


def write_reports(url: str, month: dt.date | None = None, out: Path | None = None) -> Outputs:
    """The pooling region's bulletin and every county's forms for a month (default: the last
    month with data): what the reporting DAG and the main job write."""
    from workcomp.audit.commands import default_report_paths
    from workcomp.reporting.bulletin import write_bulletin
    from workcomp.reporting.bulletin_data import month_end
    from workcomp.reporting.forms import (
        coverage_progress_form,
        enterprise_ledger_form,
        occupational_disease_form,
    )
    from workcomp.warehouse.connection import connect

    out = out or reports_dir()
    region = pooling_region()
    today = dt.date.today()
    with connect(url) as conn:
        month = report_month(conn, month)
        anomaly_html, _ = default_report_paths(url)
        files = write_bulletin(conn, out / "bulletins", region, month, region, anomaly_html)
        outputs = Outputs(month, files.html, files.pdf, files.pdf_note)
        forms = out / "forms"
        outputs.forms.append(coverage_progress_form(conn, region, month, forms, today))
        for county in counties(conn, region):
            outputs.forms.append(
                occupational_disease_form(
                    conn, county, dt.date(month.year, 1, 1), month_end(month), forms, today
                )
            )
            outputs.forms.append(enterprise_ledger_form(conn, county, month.year, forms, today))
    latest_outputs_path().write_text(json.dumps(outputs.record(), ensure_ascii=False, indent=1))
    return outputs


@click.group("report")
def report() -> None:
    """The monthly bulletin (工伤保险数据月报) and the statutory forms (报表)."""


@report.command("bulletin")
@click.option("--region", help="County or pooling-region code; default: the pooling region.")
@click.option("--month", type=_month, help="YYYY-MM; default: the last month with data.")
@click.option(
    "--pdf/--no-pdf",
    default=True,
    show_default=True,
    help="Also print a PDF with a headless Chromium, if one is found.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Folder; default .workcomp/reports.")
def bulletin_cmd(region: str | None, month: dt.date | None, pdf: bool, out: Path | None) -> None:
    """Write the monthly bulletin as one self-contained HTML file (and PDF)."""
    from workcomp.audit.commands import default_report_paths
    from workcomp.reporting.bulletin import write_bulletin
    from workcomp.warehouse.connection import connect, database_url

    url = database_url()
    pooling = pooling_region()
    with connect(url) as conn:
        month = report_month(conn, month)
        try:
            files = write_bulletin(
                conn,
                (out or reports_dir()) / "bulletins",
                region or pooling,
                month,
                pooling,
                default_report_paths(url)[0],
                pdf=pdf,
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    console.print(f"Monthly bulletin (工伤保险数据月报) {month:%Y-%m}: {files.html}")
    console.print(f"PDF: {files.pdf}" if files.pdf else files.pdf_note)


@report.command("forms")
@click.option("--county", "county_codes", multiple=True, help="County code; default: every one.")
@click.option("--from", "first", type=_date, help="Diagnoses from (default: 1 January).")
@click.option("--to", "last", type=_date, help="Diagnoses to (default: the month's end).")
@click.option("--month", type=_month, help="YYYY-MM; default: the last month with data.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder; default .workcomp/reports.")
def forms_cmd(county_codes, first, last, month, out) -> None:
    """Write the statutory forms: occupational-disease cases and key-enterprise ledger per
    county, and the coverage-progress table."""
    from workcomp.reporting.bulletin_data import month_end
    from workcomp.reporting.forms import (
        coverage_progress_form,
        enterprise_ledger_form,
        occupational_disease_form,
    )
    from workcomp.warehouse.connection import connect, database_url

    folder = (out or reports_dir()) / "forms"
    today = dt.date.today()
    region = pooling_region()
    with connect(database_url()) as conn:
        month = report_month(conn, month)
        first = first or dt.date(month.year, 1, 1)
        last = last or month_end(month)
        if first > last:
            raise click.BadParameter(f"--from {first} is after --to {last}")
        written = [coverage_progress_form(conn, region, month, folder, today)]
        for county in county_codes or counties(conn, region):
            try:
                written.append(occupational_disease_form(conn, county, first, last, folder, today))
                written.append(enterprise_ledger_form(conn, county, last.year, folder, today))
            except ValueError as error:
                raise click.ClickException(str(error)) from error
    for path in written:
        console.print(f"form: {path}")
