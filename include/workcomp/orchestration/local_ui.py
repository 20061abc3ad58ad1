"""The local Airflow UI on the embedded warehouse: ``airflow standalone`` (api-server,
scheduler, dag-processor, triggerer) bound to 127.0.0.1, sized for a small machine, with a
generated login, started in its own process group so that stopping it leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

USER = "admin"


@dataclass
class LocalUI:
    process: subprocess.Popen
    url: str
    user: str
    password: str
    log_path: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(env: dict[str, str]) -> tuple[str, str]:
    """The UI's user and password, generated once and kept in the Airflow home (0600)."""
    path = Path(env["AIRFLOW_HOME"]) / "ui-passwords.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({USER: secrets.token_urlsafe(12)}))
        path.chmod(0o600)
    return USER, json.loads(path.read_text())[USER]


def ui_environment(env: dict[str, str], port: int) -> dict[str, str]:
    home = Path(env["AIRFLOW_HOME"])
    return {
        **env,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "ui-passwords.json"),
        # Two cores: a few tasks at a time, one worker for the UI, parse files every 5 min.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
    }


def create_pools(env: dict[str, str]) -> None:
    """The project's pools, in the metadata database the UI's scheduler uses."""
    code = "from workcomp.orchestration.reliability import ensure_pools; ensure_pools()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"could not create the Airflow pools: {done.stderr[-2000:]}")


def start(env: dict[str, str], port: int | None = None) -> LocalUI:
    """Start the UI and its scheduler in a new process group; return once it answers."""
    port = port or free_port()
    user, password = login(env)  # the passwords file must exist before the api-server starts
    ui_env = ui_environment(env, port)
    log_path = Path(env["AIRFLOW_HOME"]) / "logs" / "standalone.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), "standalone"],
            env=ui_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends every child
        )
    ui = LocalUI(process, f"http://127.0.0.1:{port}", user, password, log_path)
    try:
        wait_healthy(ui)
    except Exception:
        stop(ui)
        raise
    return ui


def wait_healthy(ui: LocalUI, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ui.process.poll() is not None:
            raise RuntimeError(
                f"airflow standalone exited ({ui.process.returncode}); see {ui.log_path}"
            )
        try:
            with urllib.request.urlopen(f"{ui.url}/api/v2/monitor/health", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    raise TimeoutError(f"the Airflow UI did not answer within {timeout:.0f} s; see {ui.log_path}")


def stop(ui: LocalUI, grace: float = 30) -> None:
    """SIGTERM to the whole process group, SIGKILL to whatever is left after ``grace``."""
    pgid = ui.process.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        ui.process.poll()
        if not group_alive(pgid):
            return
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    ui.process.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Only zombies left (reaped by us or init) count as gone.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def api(ui: LocalUI, path: str) -> dict:
    """GET an Airflow REST API path as the UI's user."""
    body = json.dumps({"username": ui.user, "password": ui.password}).encode()
    request = urllib.request.Request(
        f"{ui.url}/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        token = json.loads(r.read())["access_token"]
    request = urllib.request.Request(
        f"{ui.url}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())
