"""Every COPY is held to the rows it was sent.

Postgres reports how many rows each COPY stored (its ``COPY n`` command tag, psycopg's
``rowcount``). The loader compares that with the rows it sent, block by block, so a load that
lost or doubled rows on the way fails at once, without counting the stored table afterwards
(a count of a province month's two million rows was a tenth of its load time).
"""

from __future__ import annotations


class RowsNotStored(Exception):
    """Postgres stored another number of rows than the loader sent: the batch fails."""


def check_stored(cursor, sent: int, what: str) -> int:
    """``sent`` rows after a COPY on ``cursor``; raises when Postgres stored another number."""
    if cursor.rowcount != sent:
        raise RowsNotStored(
            f"rows do not reconcile: {sent} rows sent to {what}, {cursor.rowcount} stored"
        )
    return sent
