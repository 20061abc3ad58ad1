"""Lineage columns of every raw table (血缘字段): which batch, file and line a row came from,
and when it was loaded."""

LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_loaded_at")
# What the loader writes per row. _loaded_at is the column default, now(): the start of the
# load's transaction, the same for every row of a batch, and no timestamp text for COPY to
# parse per row (that alone was about a third of the COPY's time).
COPIED_LINEAGE = ("_batch_id", "_source_file", "_row_number")
