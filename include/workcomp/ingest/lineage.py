"""Lineage of every raw row (血缘字段): which batch, file and line it came from, and when it was
loaded.

A stored row (``raw_store.<feed>``) carries two integers: the file it came from
(``_file_id``, a row of ``raw.files``) and its line in that file (``_row_number``). The view
``raw.<feed>``, which staging, the quality suites and people read, joins the file's batch id,
file name and load time back in. Carrying the batch id and file name as text in every row had
made each stored row about 60% wider than the row itself, and writing those bytes was most of
what a load cost Postgres beyond a plain COPY of the file.
"""

from __future__ import annotations

from psycopg import sql

# What the raw.<feed> views show, in this order, before the delivered columns.
LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_loaded_at", "_file_id")
# What the row-by-row loader writes per row: only the line number; the file comes from a column
# default reading a transaction-local setting. The columnar loader writes both (STORED_LINEAGE):
# the file id as a constant in its CSV is cheaper for Postgres than the default for every row.
COPIED_LINEAGE = ("_row_number",)
STORED_LINEAGE = ("_file_id", "_row_number")
FILE_SETTING = "workcomp.file_id"

# A setting never set, or reset to '' once its transaction ended, gives NULL, so a row written
# outside the loader without naming its file fails the NOT NULL constraint.
FILE_ID_DEFAULT = f"nullif(current_setting('{FILE_SETTING}', true), '')::integer"


def set_lineage(cur, file_id: int) -> None:
    """Name the file that the rows COPY'd next in this transaction come from."""
    cur.execute("select set_config(%s, %s, true)", (FILE_SETTING, str(file_id)))


def view_sql(table: str, delivered: list[str]) -> sql.Composed:
    """``raw.<table>``: the stored rows of published files, with their lineage joined in."""
    columns = [sql.SQL("f.batch_id as _batch_id"), sql.SQL("f.source_file as _source_file"),
               sql.SQL("r._row_number"), sql.SQL("f.loaded_at as _loaded_at"),
               sql.SQL("r._file_id")]  # fmt: skip
    columns += [sql.SQL("r.{}").format(sql.Identifier(name)) for name in delivered]
    return sql.SQL(
        "create or replace view {} as select {} from {} as r"
        " join raw.files as f on f.file_id = r._file_id"
    ).format(sql.Identifier("raw", table), sql.SQL(", ").join(columns),
             sql.Identifier("raw_store", table))  # fmt: skip


def files_of_batches(batches: str) -> str:
    """SQL for the file ids of ``batches`` (an SQL text[] expression), as an array: a filter on
    ``_file_id = any(...)`` reads those files' rows through the block-range index."""
    return f"array(select file_id from raw.files where batch_id = any({batches}))"
