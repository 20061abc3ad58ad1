"""Great Expectations suites derived from the feed contracts, one pair per raw dataset.

``raw.<table>`` (critical) holds what must be true of every loaded row: required columns
filled, check digits, code lists, formats, value ranges, and row counts that reconcile with
the batch log. ``raw.<table>.warnings`` holds what is reported but does not stop a run: the
same key twice in one delivery, and a feed that has not delivered within its cadence.
"""

from __future__ import annotations

from workcomp.contracts import Contract

# Days without a delivery before a feed counts as stale, by contract cadence.
STALE_AFTER_DAYS = {"daily": 3, "monthly": 45, "monthly snapshot": 45}
STALE_AFTER_DAYS_DEFAULT = 200  # twice a year (seed 001: by 6 June and 10 October)
FORMATS = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$",
    "month": r"^[0-9]{4}-[0-9]{2}$",
    "region_code": r"^[0-9]{6}$",
    "industry_code": r"^[0-9]{2,4}$",
    "integer": r"^-?[0-9]+$",
    "decimal": r"^-?[0-9]+(\.[0-9]+)?$",
    "boolean": r"^(true|false)$",
}
# Region codes must be ones this deployment serves (the ref_regions seed).
REGIONS_IN_USE = {"seed": "ref_regions", "column": "region_code"}
# Where the reconciliation names the batches it checks. Every loaded batch of the feed in a
# full validation (the comment and `true`, valid SQL as it stands); only the batches a run
# delivered when an ingest run validates what it loaded (suites.run_suites(batches=...)).
BATCH_SCOPE = "/* batches in scope */ true"
# What a failing row query returns: where the row came from and the failing value. GX fetches
# a row query's whole result into the validating process (it keeps 200 rows), so a month of
# bad rows stays a few columns wide, not the whole row.
ROW_AND_LINEAGE = "_batch_id, _source_file, _row_number"
CHECK_DIGITS = {
    "uscc": ("util.uscc_is_valid", "GB 32100 check digit (统一社会信用代码校验位)"),
    "resident_id": ("util.ric_is_valid", "GB 11643 check digit (身份证号码校验位)"),
}


def critical_expectations(contract: Contract) -> list[dict]:
    out: list[dict] = []
    for col in contract.all_fields:
        if col.required:
            out.append({"expect_column_values_to_not_be_null": {"column": col.name}})
        if col.type in FORMATS:
            out.append({"expect_column_values_to_match_regex": {
                "column": col.name, "regex": FORMATS[col.type]}})  # fmt: skip
        if col.type in CHECK_DIGITS:
            function, label = CHECK_DIGITS[col.type]
            out.append({"unexpected_rows": {
                "description": f"{col.name}: every value passes the {label}",
                "query": f"select {ROW_AND_LINEAGE}, {col.name} from {{batch}}"
                         f" where not {function}({col.name})",
            }})  # fmt: skip
        code_list = col.code_list or (REGIONS_IN_USE if col.type == "region_code" else None)
        if code_list:
            out.append({"expect_column_values_to_be_in_set": {
                "column": col.name, "value_set": dict(code_list)}})  # fmt: skip
        if col.type in ("integer", "decimal") and (col.min is not None or col.max is not None):
            bounds = []
            if col.min is not None:
                bounds.append(f"{col.name}::numeric < {col.min}")
            if col.max is not None:
                bounds.append(f"{col.name}::numeric > {col.max}")
            out.append({"unexpected_rows": {
                "description": f"{col.name} within {col.min} … {col.max} (取值范围)",
                "query": f"select {ROW_AND_LINEAGE}, {col.name} from {{batch}}"
                         f" where {' or '.join(bounds)}",
            }})  # fmt: skip
    out.append({"unexpected_rows": {
        "description": "Row counts reconcile with the delivered files (行数核对): for every"
                       " loaded batch, rows read = rows in raw + rows quarantined",
        "query": (
            "select b.batch_id from raw.batches b"
            " left join (select _batch_id, count(*) as n from {batch} group by _batch_id) r"
            " on r._batch_id = b.batch_id"
            " left join (select batch_id, count(*) as n from raw.quarantine group by batch_id) q"
            " on q.batch_id = b.batch_id"
            f" where b.source = '{contract.source}' and b.dataset = '{contract.dataset}'"
            f" and b.status = 'loaded' and {BATCH_SCOPE} and (coalesce(r.n, 0) <> b.rows_loaded"
            " or coalesce(q.n, 0) <> b.rows_quarantined"
            " or b.rows_read <> b.rows_loaded + b.rows_quarantined)"
        ),
    }})  # fmt: skip
    return out


def warning_expectations(contract: Contract) -> list[dict]:
    out: list[dict] = []
    if contract.primary_key:
        key = ", ".join(contract.primary_key)
        out.append({"unexpected_rows": {
            "description": f"({key}) appears once per delivery (批次内主键重复)",
            "query": f"select _batch_id, {key} from {{batch}} group by _batch_id, {key}"
                     " having count(*) > 1",
        }})  # fmt: skip
    days = STALE_AFTER_DAYS.get(contract.cadence, STALE_AFTER_DAYS_DEFAULT)
    out.append({"unexpected_rows": {
        "description": f"a delivery within the last {days} days, the feed's cadence allowing"
                       f" ({contract.cadence or 'irregular'}; 数据及时性)",
        "query": (
            "select 1 from (select max(finished_at) as last_delivery from raw.batches"
            f" where source = '{contract.source}' and dataset = '{contract.dataset}'"
            " and status = 'loaded') d where d.last_delivery is null"
            f" or d.last_delivery < now() - interval '{days} days'"
        ),
    }})  # fmt: skip
    return out


def contract_suites() -> dict[str, dict]:
    """Suite name → spec dict (the same shape as a YAML suite file)."""
    from workcomp.contracts import all_contracts

    suites = {}
    for contract in all_contracts().values():
        table = {"schema": "raw", "name": contract.table}
        suites[f"raw.{contract.table}"] = {
            "suite": f"raw.{contract.table}",
            "description": f"{contract.title}, as loaded (raw)",
            "table": table,
            "severity": "critical",
            "expectations": critical_expectations(contract),
        }
        suites[f"raw.{contract.table}.warnings"] = {
            "suite": f"raw.{contract.table}.warnings",
            "description": f"{contract.title}: duplicates within a delivery, timeliness",
            "table": table,
            "severity": "warning",
            "expectations": warning_expectations(contract),
        }
    return suites
