"""One way to reach the warehouse, whichever server it is.

``WORKCOMP_DATABASE_URL`` names an external Postgres; without it the embedded server is
started (or reused). Inside Airflow the same URL is the ``workcomp_warehouse`` connection,
which the runner sets from this function, so DAG code never asks which one it got.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    import psycopg

URL_ENV = "WORKCOMP_DATABASE_URL"
AIRFLOW_CONN_ID = "workcomp_warehouse"


def database_url() -> str:
    url = os.environ.get(URL_ENV)
    if url:
        return url
    from workcomp.warehouse.embedded import EmbeddedPostgres

    return EmbeddedPostgres().start()


def dsn_parts(url: str) -> dict[str, str | int]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a Postgres URL: scheme {parts.scheme!r}")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or "postgres",
    }


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    import psycopg  # imported here: DAG files import this module and must parse fast

    return psycopg.connect(url or database_url(), **kwargs)


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    p = dsn_parts(url)
    return (
        f"postgresql://{quote(str(p['user']), safe='')}:{quote(str(p['password']), safe='')}"
        f"@{p['host']}:{p['port']}/{dbname}"
    )
