"""Each role connects and is refused what it must not do; the person data it may see is masked
except in the auditor's evidence view. Runs against the main job's warehouse."""

import re
import secrets
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import errors, sql
from stdnum.cn import ric

from conftest import run_dbt
from workcomp.warehouse.roles import ROLES, apply_roles

pytestmark = pytest.mark.e2e

NOT_FOR_BI = ["raw", "staging", "intermediate", "audit", "util", "reference", "marts_build",
              "audit_build"]  # fmt: skip


def as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture(scope="module")
def roles(first_run):
    url, *_ = first_run
    passwords = {role: secrets.token_urlsafe(16) for role in ROLES}
    with psycopg.connect(url, autocommit=True) as conn:
        assert apply_roles(conn, passwords=passwords, from_env=False) == sorted(ROLES)
    return {role: as_role(url, role, pw) for role, pw in passwords.items()}


def tables(url, schemas):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s) order by 1, 2",
            (schemas,),
        ).fetchall()


def refused(url, statement, params=()):
    """True when the role is refused (permission denied), False when the statement runs."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement, params)
        except errors.InsufficientPrivilege:
            return True
        finally:
            conn.rollback()
    return False


def select_all(schema, table):
    return sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, table))


def test_bi_reader_reads_the_marts_and_nothing_else(first_run, roles):
    url, *_ = first_run
    hidden = tables(url, NOT_FOR_BI)
    assert {s for s, _ in hidden} >= {"raw", "staging", "audit", "util", "reference"}
    readable = [f"{s}.{t}" for s, t in hidden if not refused(roles["bi_reader"], select_all(s, t))]
    assert readable == []
    marts = tables(url, ["marts"])
    assert len(marts) > 15
    assert [t for s, t in marts if refused(roles["bi_reader"], select_all(s, t))] == []


def test_no_mart_holds_a_name_or_an_identity_number(first_run, roles):
    url, *_ = first_run
    with psycopg.connect(url) as conn:  # the owner reads raw: the people to look for
        people = conn.execute(
            "select resident_id, worker_name from raw.social_insurance__enrolment_changes"
            " union select resident_id, worker_name from raw.social_insurance__injury_recognitions"
        ).fetchall()
    ids = {i for i, _ in people if i}
    names = {n for _, n in people if n and len(n) >= 2}
    assert len(ids) > 100 and len(names) > 50
    id_like = re.compile(r"\d{17}[\dX]")
    found = []
    with psycopg.connect(roles["bi_reader"]) as conn:
        for _, table in tables(url, ["marts"]):
            columns = conn.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = %s and data_type in ('text', 'character varying', 'jsonb')",
                (table,),
            ).fetchall()
            for (column,) in columns:
                query = sql.SQL("select distinct {}::text from {}").format(
                    sql.Identifier(column), sql.Identifier("marts", table)
                )
                for (value,) in conn.execute(query):
                    if value is None:
                        continue
                    numbers = {m for m in id_like.findall(value) if ric.is_valid(m)}
                    if numbers & ids or value in names:
                        found.append(f"{table}.{column}: {value[:40]}")
    assert found == []


def test_auditor_reads_marts_and_audit_and_writes_nothing(first_run, roles):
    url, *_ = first_run
    auditor = roles["auditor"]
    for schema, table in tables(url, ["marts", "audit"]):
        assert not refused(auditor, select_all(schema, table)), f"{schema}.{table}"
    for schema, table in tables(url, ["raw", "staging", "util"]):
        assert refused(auditor, select_all(schema, table)), f"{schema}.{table}"
    assert refused(auditor, "delete from audit.fct_anomaly_cases")
    assert refused(auditor, "update marts.fct_injury_rates set rate_year = rate_year")
    assert refused(auditor, "insert into audit.case_reviews (case_key) values ('x')")
    assert refused(auditor, "create table audit.mine (x int)")
    assert refused(auditor, "create table marts.mine (x int)")


def test_full_identity_numbers_only_in_the_auditor_evidence_view(first_run, roles):
    url, *_ = first_run
    with psycopg.connect(url) as conn:  # the owner: every case's person traced back to raw
        expected = dict(
            conn.execute(
                "select distinct c.case_key, r.resident_id from audit.fct_anomaly_cases c"
                " join raw.social_insurance__enrolment_changes r"
                " on util.person_key(r.resident_id) = c.person_key"
            ).fetchall()
        )
        masked = dict(
            conn.execute("select case_key, resident_id_masked from audit.fct_anomaly_cases")
        )
    assert expected, "no anomaly case about an enrolled person"
    with psycopg.connect(roles["auditor"]) as conn:
        shown = dict(
            conn.execute(
                "select case_key, resident_id from audit.case_identities"
                " where resident_id is not null"
            ).fetchall()
        )
    assert shown == expected
    for case_key, resident_id in shown.items():
        if masked[case_key]:
            assert masked[case_key] == resident_id[:4] + "*" * 10 + resident_id[-4:]
    assert refused(roles["bi_reader"], "select * from audit.case_identities")


def test_only_the_loader_writes_raw(first_run, roles):
    insert = (
        "insert into raw.batches (batch_id, source, dataset, batch_name, files, sha256, status,"
        " started_at) values ('x/y/z', 'x', 'y', 'z', '{}', '', 'failed', now())"
    )
    assert not refused(roles["workcomp_loader"], insert)  # rolled back by refused()
    assert not refused(roles["workcomp_loader"], "create table raw.health__new_feed (x text)")
    for role in ("workcomp_transformer", "bi_reader", "auditor"):
        assert refused(roles[role], insert), role
        assert refused(roles[role], "delete from raw_store.social_insurance__employers"), role
        assert refused(roles[role], "delete from raw.files"), role
    # Raw rows are read through the raw views, which show published files only.
    assert refused(roles["workcomp_transformer"],
                   "select * from raw_store.social_insurance__employers")  # fmt: skip
    assert not refused(roles["workcomp_transformer"],
                       "select * from raw.social_insurance__employers limit 1")  # fmt: skip
    # The loader reads nothing it does not load.
    assert refused(roles["workcomp_loader"], "select * from marts.fct_injury_rates")
    assert refused(roles["workcomp_loader"], "select * from util.secrets")
    # The transformer reads raw for dbt.
    assert not refused(roles["workcomp_transformer"], "select * from raw.batches limit 1")


def test_public_has_no_rights(first_run):
    url, *_ = first_run
    stranger, password = f"stranger_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create role {} login password {}").format(
                sql.Identifier(stranger), sql.Literal(password)
            )
        )
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(as_role(url, stranger, password)).close()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(stranger)))


def test_dbt_grants_are_applied_again_by_every_build(first_run, roles):
    url, env, *_ = first_run

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("revoke select on marts.fct_injury_rates from bi_reader")
    assert refused(roles["bi_reader"], "select * from marts.fct_injury_rates")
    run_dbt(url, "run", "--quiet", "--select", "fct_injury_rates", env=env, timeout=900)
    assert not refused(roles["bi_reader"], "select * from marts.fct_injury_rates")
