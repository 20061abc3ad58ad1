"""Lineage columns of every raw table (血缘字段): which batch, file and line a row came from,
and when it was loaded."""

from __future__ import annotations

from psycopg import sql

LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_loaded_at")
# What the loader writes per row: only the line number. The batch and the file are the same
# for every row of one COPY, so they come from column defaults that read two transaction-local
# settings, and _loaded_at from now() (the start of the load's transaction). Sending them as
# text in every row doubled the COPY stream and took COPY to 1.9x an untyped load of the file.
COPIED_LINEAGE = ("_row_number",)
BATCH_SETTING = "workcomp.batch_id"
FILE_SETTING = "workcomp.source_file"

# A setting never set, or reset to '' once its transaction ended, gives NULL, so a row written
# outside the loader without naming its batch and file fails the NOT NULL constraint.
LINEAGE_DEFAULTS = {
    "_batch_id": f"nullif(current_setting('{BATCH_SETTING}', true), '')",
    "_source_file": f"nullif(current_setting('{FILE_SETTING}', true), '')",
    "_loaded_at": "now()",
}


def set_lineage(cur, batch_id: str, file_name: str) -> None:
    """Name the batch and file that the rows COPY'd next in this transaction come from."""
    cur.execute(
        "select set_config(%s, %s, true), set_config(%s, %s, true)",
        (BATCH_SETTING, batch_id, FILE_SETTING, file_name),
    )


def default_sql(column: str) -> sql.Composable:
    return sql.SQL(LINEAGE_DEFAULTS[column])
