"""The warehouse's roles and grants, kept in code (``sql/roles.sql``) and applied by every
bootstrap, by the main command and by the compose stack's init job.

A role logs in only once it has a password, given in the environment as
``WORKCOMP_<ROLE>_PASSWORD`` (``WORKCOMP_BI_READER_PASSWORD``, …) or by ``workcomp roles
apply``; without one it is a group role a DBA can grant to named users.
"""

from __future__ import annotations

import os
from importlib import resources

import psycopg
from psycopg import sql

ROLES = {
    "workcomp_loader": "writes raw (ingest DAGs)",
    "workcomp_transformer": "reads raw, builds staging, intermediate, marts and audit (dbt)",
    "bi_reader": "reads the published marts (BI tools)",
    "auditor": "reads marts and audit, including the identity evidence view (audit staff)",
}


def password_env(role: str) -> str:
    return f"WORKCOMP_{role.removeprefix('workcomp_').upper()}_PASSWORD"


def can_manage_roles(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select rolsuper or rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    return bool(row and row[0])


def apply_roles(
    conn: psycopg.Connection, passwords: dict[str, str] | None = None, from_env: bool = True
) -> list[str]:
    """Create the roles and apply every grant; give a login to each role with a password
    (``passwords``, or the environment when ``from_env``). Returns the roles given a login."""
    ddl = resources.files("workcomp.warehouse").joinpath("sql/roles.sql").read_text("utf-8")
    given = {}
    if from_env:
        given = {r: os.environ[password_env(r)] for r in ROLES if os.environ.get(password_env(r))}
    given.update(passwords or {})
    with conn.transaction():
        conn.execute(ddl)
        for role, password in given.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
            conn.execute(
                sql.SQL("alter role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
    return sorted(given)
