"""docs/feeds.md and docs/examples/, generated from the feed contracts.

``workcomp docs`` rewrites them; a test fails when they drift from the contracts.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from workcomp.contracts import Contract, all_contracts
from workcomp.settings import PROJECT_ROOT

DOCS_DIR = PROJECT_ROOT / "docs"
EXAMPLE_ROWS = 5
EXAMPLE_SEED = 1
SOURCES = {
    "health": "Health (卫生健康委)",
    "social_insurance": "Social insurance (人社局 / 社保经办机构)",
    "emergency_management": "Emergency management (应急管理局)",
    "public_security": "Public security (公安局)",
}
TYPE_NOTES = {
    "text": "text",
    "integer": "whole number; full-width digits and 1,200 accepted",
    "decimal": "number; thousands separators and 元 accepted",
    "date": "2021-03-05, 2021/3/5, 20210305, 2021年3月5日 or an Excel date",
    "datetime": "a date as above, optionally with hh:mm[:ss]",
    "month": "202103, 2021-03, 2021/3 or 2021年3月",
    "boolean": "是/否",
    "uscc": "unified social credit code, GB 32100 check digit",
    "resident_id": "resident ID, GB 11643 check digit and real birth date",
    "region_code": "GB/T 2260 code in ref_regions",
    "industry_code": "GB/T 4754-2017 code under a known division",
    "code": "one of a code list",
}


def _column_rows(contract: Contract) -> list[str]:
    lines = [
        "| Column | Chinese headers accepted | Type | Required | PII | Description |",
        "|---|---|---|---|---|---|",
    ]
    for c in contract.columns:
        kind = c.type
        if c.code_list:
            kind += f" (`{c.code_list['seed']}`)"
        if c.min is not None or c.max is not None:
            kind += f" [{c.min if c.min is not None else ''}, {c.max if c.max is not None else ''}]"
        lines.append(
            f"| `{c.name}` | {' / '.join(c.headers)} | {kind} | {'yes' if c.required else ''} "
            f"| {'yes' if c.pii else ''} | {c.description} |"
        )
    return lines


def _completion(contract) -> str:
    if contract.complete_when == "manifest":
        return "`manifest.json` is present (the sender writes it after the data files)"
    return f"the batch folder has not changed for {contract.quiet_seconds} s"


def render_feeds_md(examples: dict[str, str]) -> str:
    out = [
        "# Feeds (数据接入规范)",
        "",
        "Generated from `include/workcomp/contracts/` by `workcomp docs`; do not edit by hand.",
        "",
        "Files land in `landing/<source>/<dataset>/<batch>/`. A batch may carry a",
        '`manifest.json` (`{"files": [{"file", "rows", "sha256"}]}`), verified when present.',
        "A batch is loaded only when complete, by its contract's rule (below): its manifest",
        "written, or its folder quiet for a while; never while an upload is in progress (a",
        "hidden temporary file, a `.part`/`.tmp` file, or an Excel lock file `~$name.xlsx`).",
        "Readers accept xlsx in the seed forms (title and signature rows, merged cells), CSV in",
        "UTF-8 with or without BOM or GBK/GB18030 (detected), and JSON Lines. Rows that break",
        "the contract go to `raw.quarantine` with every reason; a file that cannot be read fails",
        "its batch and leaves earlier data untouched. A batch delivered again with the same bytes",
        "is skipped; with different bytes it replaces the earlier load of that batch as a whole.",
        "",
        "Value formats:",
        "",
    ]
    out += [f"- **{k}**: {v}" for k, v in TYPE_NOTES.items()]
    for source, title in SOURCES.items():
        out += ["", f"## {title}", ""]
        for contract in (c for c in all_contracts().values() if c.source == source):
            out += [f"### `{contract.source}/{contract.dataset}` — {contract.title}", ""]
            out += [contract.description, ""]
            out += [
                f"- Format: {contract.format}; cadence: {contract.cadence}",
                f"- Complete when: {_completion(contract)}",
                f"- Raw table: `raw.{contract.table}`; key: "
                f"{', '.join(f'`{k}`' for k in contract.primary_key)}",
            ]
            if contract.form_fields:
                labels = ", ".join(f"{f.label} (`{f.name}`)" for f in contract.form_fields)
                out.append(f"- Form fields above the header: {labels}")
            for check in contract.checks:
                rule = check["rule"]
                if rule == "sex_matches_id":
                    out.append(
                        f"- Rule: `{check['sex']}` agrees with the sex digit of `{check['id']}`"
                    )
                else:
                    out.append(f"- Rule: `{check['column']}` is not before `{check['reference']}`")
            out.append(
                f"- Example: [{examples[contract.table]}](examples/{examples[contract.table]})"
            )
            out += ["", *_column_rows(contract), ""]
    return "\n".join(out).rstrip() + "\n"


def build_examples(target: Path) -> dict[str, str]:
    """One small example file per dataset, cut from a generated tiny region."""
    from workcomp.generator import generate

    target.mkdir(parents=True, exist_ok=True)
    examples = {}
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        generate(landing, Path(tmp) / "truth.json", "tiny", seed=EXAMPLE_SEED)
        for table, contract in all_contracts().items():
            folder = landing / contract.source / contract.dataset
            first = sorted(p for p in folder.glob("*/*") if p.name != "manifest.json")[0]
            name = f"{table}{first.suffix}"
            if first.suffix == ".xlsx":
                shutil.copy(first, target / name)
            else:
                raw = first.read_bytes()
                head = b"".join(raw.splitlines(keepends=True)[: EXAMPLE_ROWS + 1])
                (target / name).write_bytes(head)
            examples[table] = name
    return examples


def write_docs(docs_dir: Path = DOCS_DIR) -> Path:
    examples = build_examples(docs_dir / "examples")
    path = docs_dir / "feeds.md"
    path.write_text(render_feeds_md(examples), encoding="utf-8")
    return path


# --- dbt sources --------------------------------------------------------------------------

SOURCE_DESCRIPTIONS = {
    "health": "Health department feeds (卫生健康委), loaded by the ingest_health DAG.",
    "social_insurance": "Social-insurance agency feeds (人社局/社保经办机构), loaded by the "
    "ingest_social_insurance DAG.",
    "emergency_management": "Emergency management feeds (应急管理局), loaded by the "
    "ingest_emergency_management DAG.",
    "public_security": "Public security feeds (公安局), loaded by the ingest_public_security DAG.",
}
FRESHNESS_DAYS = {  # warn, error: a twice-yearly roster is not late after a month
    "health": (200, 400),
    "social_insurance": (45, 400),
    "emergency_management": (45, 400),
    "public_security": (45, 400),
}
LINEAGE = (
    ("_batch_id", "Delivered batch (批次), <source>/<dataset>/<batch folder>"),
    ("_source_file", "Delivered file name (文件名)"),
    ("_row_number", "Row number in the delivered file (行号)"),
    ("_loaded_at", "When the row was loaded (入库时间)"),
    ("_file_id", "Loaded file (已入库文件), a row of raw.files; higher ids were loaded later"),
)


def render_dbt_sources(source: str) -> str:
    import yaml

    tables = []
    for c in all_contracts().values():
        if c.source != source:
            continue
        columns = [{"name": n, "description": d} for n, d in LINEAGE]
        columns += [
            {
                "name": col.name,
                "description": col.description + (" — personal data" if col.pii else ""),
            }
            for col in c.all_fields
        ]
        tables.append({
            "name": c.dataset, "identifier": c.table,
            "description": f"{c.title}: {c.description} One row per delivered row, canonical text.",
            "columns": columns,
        })  # fmt: skip
    warn, error = FRESHNESS_DAYS[source]
    doc = {"version": 2, "sources": [{
        "name": source, "description": SOURCE_DESCRIPTIONS[source], "schema": "raw",
        "loaded_at_field": "_loaded_at",
        "config": {"freshness": {"warn_after": {"count": warn, "period": "day"},
                                 "error_after": {"count": error, "period": "day"}}},
        "tables": tables,
    }]}  # fmt: skip
    header = f"# Generated from include/workcomp/contracts/{source}/ by `workcomp docs`.\n"
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def dbt_sources_path(source: str, project_dir: Path) -> Path:
    return project_dir / "models" / "staging" / source / f"_{source}__sources.yml"


def write_dbt_sources(project_dir: Path) -> list[Path]:
    paths = []
    for source in SOURCES:
        path = dbt_sources_path(source, project_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_dbt_sources(source), encoding="utf-8")
        paths.append(path)
    return paths
