"""Shared fixtures: a real Postgres for the whole session, a fresh database per test."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socketserver
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import psycopg
import pytest

from workcomp.generator import generate
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
    # Another test session may be using the server already: only the one that started it
    # stops it.
    started_here = not server.is_running()
    url = server.start()
    yield url
    if started_here:
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


E2E_SEED = 31


def recreate_database(server_url: str, name: str) -> str:
    """An empty database of this name (dropped first if a previous run left it); its URL."""
    admin = with_database(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return with_database(server_url, name)


def run_dbt(url: str, *args: str, env: dict | None = None, timeout: int = 1800,
            project: Path | None = None) -> str:  # fmt: skip
    """``dbt <args>`` on the project (or a copy of it, ``project``) against ``url``, as the
    runner calls it; its output. Fails the test with the end of dbt's output when dbt fails."""
    from workcomp.orchestration.environment import dbt_environment
    from workcomp.settings import DBT_PROJECT_DIR

    project = project or DBT_PROJECT_DIR
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir",
         str(project), "--profiles-dir", str(project)],
        env={**(env or os.environ), **dbt_environment(url)}, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def run_main(env) -> subprocess.CompletedProcess:
    # A guard against a hung run, not a speed test: on a shared two-core machine the main job
    # has taken more than 15 minutes while other work ran beside it.
    return subprocess.run(
        [sys.executable, "-m", "workcomp.cli", "run", "--no-generate"],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip


@pytest.fixture(scope="session")
def first_run(server_url, tmp_path_factory):
    url = recreate_database(server_url, "wc_e2e")
    root = tmp_path_factory.mktemp("e2e")
    truth = generate(root / "landing", root / "truth.json", "tiny", seed=E2E_SEED)
    env = {
        **os.environ,
        "WORKCOMP_DATABASE_URL": url,
        "WORKCOMP_STATE_DIR": str(root / "state"),
        "WORKCOMP_LANDING_DIR": str(root / "landing"),
    }
    env.pop("AIRFLOW_HOME", None)
    done = run_main(env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return url, env, root, done.stdout, truth


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for a client to deliver one message (RFC 5321 happy path)."""

    def handle(self):
        self.wfile.write(b"220 localhost test SMTP\r\n")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 localhost\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.messages.append(
                    email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                )
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    """A local SMTP server; yields (host, port, received messages)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1], server.messages
    server.shutdown()
    server.server_close()


class _AlertHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local alert webhook; yields (url, received JSON bodies)."""
    server = HTTPServer(("127.0.0.1", 0), _AlertHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", server.received
    server.shutdown()
    server.server_close()
