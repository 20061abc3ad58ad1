"""The Postgres warehouse: an external server named by URL, or the embedded default."""

from workcomp.warehouse.connection import connect, database_url, dsn_parts

__all__ = ["connect", "database_url", "dsn_parts"]
