"""Shared fixtures: a real Postgres for the whole session, a fresh database per test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest

from workcomp.ingest.loader import bootstrap
from workcomp.warehouse.connection import with_database
from workcomp.warehouse.embedded import EmbeddedPostgres

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def server_url():
    """WORKCOMP_TEST_DATABASE_URL if given, else an embedded server of the tests' own."""
    external = os.environ.get("WORKCOMP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(root=PROJECT_ROOT / ".workcomp" / "test-postgres")
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def fresh_url(server_url):
    """URL of a new, bootstrapped database, dropped after the test."""
    name = f"wc_test_{uuid.uuid4().hex[:10]}"
    admin = with_database(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        bootstrap(conn)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def conn(fresh_url):
    with psycopg.connect(fresh_url, autocommit=True) as connection:
        yield connection
