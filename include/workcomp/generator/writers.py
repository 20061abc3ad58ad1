"""Write generated records as agencies deliver them: seed-form workbooks, CSV in UTF-8 (with
or without BOM) or GB18030, JSON Lines; Chinese headers (sometimes an alias), dates in the
styles people type, and dirty rows at a controlled rate. One batch folder per year (per month
for contributions): ``landing/<source>/<dataset>/<batch>/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import re
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workcomp.codes import corrupt_check_digit
from workcomp.contracts import Contract, all_contracts

# dataset -> the field whose year picks the batch
BATCH_FIELD = {
    "health__dust_enterprises": "_year",
    "health__dust_workers": "_year",
    "health__occupational_diagnoses": "_year",
    "health__health_exams": "exam_date",
    "social_insurance__employers": "_year",
    "social_insurance__enrolment_changes": "processing_date",
    "social_insurance__injury_recognitions": "recognition_date",
    "social_insurance__disability_assessments": "assessment_date",
    "social_insurance__benefit_payments": "payment_date",
    "social_insurance__fund_ledger": "month",
    "social_insurance__prevention_projects": "contract_date",
    "social_insurance__prevention_training": "training_date",
    "emergency_management__safety_accidents": "occurred_at",
    "emergency_management__hazard_monitoring": "monitoring_date",
    "public_security__traffic_accidents": "occurred_at",
    "public_security__death_records": "death_date",
}
FORM_TITLES = {
    "health__dust_enterprises": "巴彦淖尔市尘肺病重点行业企业信息一览表",
    "health__occupational_diagnoses": "巴彦淖尔市职业病人员统计情况表",
}
DATE_STYLES = (
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
)
ENCODINGS = ("utf-8-sig", "gb18030", "utf-8")
FIXED_TIME = dt.datetime(2026, 1, 1)  # same seed, same bytes: no wall-clock time in files


class Writer:
    def __init__(self, landing: Path, seed: int, dirty_rate: float):
        self.landing = landing
        self.rng = random.Random(seed * 7919 + 1)
        self.dirty_rate = dirty_rate
        self.stats: dict[str, Counter] = defaultdict(Counter)

    # --- dirt ----------------------------------------------------------------------------------
    def _dirty_copy(self, contract: Contract, row: dict) -> tuple[dict, str] | None:
        """A corrupted copy of a valid row, and the column it breaks; None if none applies."""
        options = []
        for c in contract.columns:
            if row.get(c.name) in (None, ""):
                continue
            if c.type in ("resident_id", "uscc"):
                options.append((c.name, corrupt_check_digit(row[c.name])))
            elif c.type == "date":
                options.append((c.name, "2021-02-30"))
            elif c.type == "code":
                options.append((c.name, "未知代码"))
            elif c.type in ("integer", "decimal"):
                options.append((c.name, "约" + str(row[c.name])))
        if not options:
            return None
        name, bad = self.rng.choice(options)
        return {**row, name: bad}, name

    def _with_dirt(self, contract: Contract, rows: list[dict]) -> list[dict]:
        stats = self.stats[contract.table]
        out = []
        for row in rows:
            out.append(row)
            draw = self.rng.random()
            if draw < self.dirty_rate:
                dirty = self._dirty_copy(contract, row)
                if dirty:
                    out.append(dirty[0])
                    stats["dirty"] += 1
                    stats[f"dirty:{dirty[1]}"] += 1
            elif draw < self.dirty_rate * 1.5:
                out.append(dict(row))  # the same row delivered twice
                stats["duplicates"] += 1
        stats["rows"] += len(out)
        return out

    # --- formats ----------------------------------------------------------------------------
    def _cells(self, contract: Contract, row: dict, style) -> list:
        cells = []
        for c in contract.columns:
            value = row.get(c.name)
            if value not in (None, "") and c.type == "date" and _is_iso(value):
                value = style(dt.date.fromisoformat(value))
            cells.append("" if value is None else value)
        return cells

    def _headers(self, contract: Contract, variant: int) -> list[str]:
        return [
            c.headers[variant % len(c.headers)] if c.headers else c.name for c in contract.columns
        ]

    def write_csv(self, contract: Contract, batch: str, rows: list[dict], variant: int) -> Path:
        path = self._batch_dir(contract, batch) / f"{contract.dataset}_{batch}.csv"
        encoding = ENCODINGS[variant % len(ENCODINGS)]
        style = DATE_STYLES[variant % len(DATE_STYLES)]
        with open(path, "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(self._headers(contract, variant))
            for row in rows:
                writer.writerow(self._cells(contract, row, style))
        return path

    def write_jsonl(self, contract: Contract, batch: str, rows: list[dict], variant: int) -> Path:
        path = self._batch_dir(contract, batch) / f"{contract.dataset}_{batch}.jsonl"
        headers = self._headers(contract, variant)
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                record = dict(
                    zip(headers, (row.get(c.name) for c in contract.columns), strict=True)
                )
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    def write_form(self, contract: Contract, batch: str, rows: list[dict], variant: int) -> Path:
        """The seed-001 form: title row, 填报单位/填报时间 row, header, rows, signature row."""
        path = self._batch_dir(contract, batch) / f"{FORM_TITLES[contract.table]}_{batch}.xlsx"
        wb = Workbook(write_only=False)
        ws = wb.active
        headers = ["序号", *self._headers(contract, variant)[1:]]
        ws.append([FORM_TITLES[contract.table]])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        report = rows[0]["report_date"] if rows else f"{batch}-10-09"
        style = DATE_STYLES[variant % len(DATE_STYLES)]
        ws.append(
            [
                "填报单位：巴彦淖尔市卫生健康委员会",
                *[None] * 4,
                f"填报时间：{style(dt.date.fromisoformat(report))}",
            ]
        )
        ws.append(headers)
        for n, row in enumerate(rows, start=1):
            cells = []
            for c in contract.columns:
                value = row.get(c.name)
                if c.name == "seq_no":
                    value = n
                elif c.type == "date" and value and _is_iso(value) and variant % 2:
                    value = dt.date.fromisoformat(value)  # a real Excel date cell
                elif c.type == "integer" and value and str(value).isdigit():
                    value = int(value)
                cells.append(value)
            ws.append(cells)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # typed text, even when it starts with "="
        ws.append([])
        ws.append(["部门负责人：", None, None, "填表人：", None, None, "联系电话："])
        wb.properties.created = wb.properties.modified = FIXED_TIME
        wb.save(path)
        _fix_zip_times(path)
        return path

    def _batch_dir(self, contract: Contract, batch: str) -> Path:
        path = self.landing / contract.source / contract.dataset / batch
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write_manifest(self, paths: list[Path], rows: int) -> None:
        """What the social-insurance exchange sends beside its files."""
        (paths[0].parent / "manifest.json").write_text(
            json.dumps(
                {
                    "files": [
                        {
                            "file": p.name,
                            "rows": rows,
                            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                        }
                        for p in paths
                    ]
                },
                ensure_ascii=False,
                indent=1,
            )
        )

    # --- one dataset --------------------------------------------------------------------------
    def write_dataset(self, table: str, rows: list[dict]) -> None:
        contract = all_contracts()[table]
        batches: dict[str, list[dict]] = defaultdict(list)
        field = BATCH_FIELD[table]
        for row in rows:
            batches[str(row[field])[:4]].append(row)
        for variant, (batch, batch_rows) in enumerate(sorted(batches.items())):
            self.write_batch(contract, batch, batch_rows, variant)

    def write_batch(self, contract: Contract, batch: str, rows: list[dict], variant: int) -> None:
        rows = self._with_dirt(contract, rows)
        self.stats[contract.table]["batches"] += 1
        if contract.format == "xlsx_form":
            self.write_form(contract, batch, rows, variant)
        elif contract.format == "jsonl":
            self.write_jsonl(contract, batch, rows, variant)
        else:
            path = self.write_csv(contract, batch, rows, variant)
            if contract.source == "social_insurance":
                self.write_manifest([path], len(rows))


def _fix_zip_times(path: Path) -> None:
    """Rewrite an xlsx with fixed entry times so that the same input gives the same bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            info.date_time = FIXED_TIME.timetuple()[:6]
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                stamp = rb"\g<1>2026-01-01T00:00:00Z"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", stamp, data)
            dst.writestr(info, data)


def _is_iso(value: str) -> bool:
    """A real ISO date; a planted impossible date stays as it is."""
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10
