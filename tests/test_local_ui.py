"""The local Airflow UI: starts on 127.0.0.1, answers its health check, lists every DAG of
the project without import errors, and stops leaving no process behind."""

import os
import socket

import pytest

from workcomp.orchestration import local_ui

EXPECTED = {
    "ingest_health", "ingest_social_insurance", "ingest_emergency_management",
    "ingest_public_security", "warehouse_build", "quality_checks", "monthly_reports",
}  # fmt: skip


@pytest.fixture
def airflow_env(tmp_path, server_url):
    from workcomp.cli import airflow_init
    from workcomp.orchestration.environment import airflow_environment

    os.environ["WORKCOMP_STATE_DIR"] = str(tmp_path / "state")
    try:
        env = {**os.environ, **airflow_environment(server_url)}
    finally:
        del os.environ["WORKCOMP_STATE_DIR"]
    env["WORKCOMP_STATE_DIR"] = str(tmp_path / "state")
    airflow_init(env)
    local_ui.create_pools(env)
    return env


def test_local_ui_lists_every_dag_and_stops_cleanly(airflow_env):
    import time

    ui = local_ui.start(airflow_env)
    pgid = ui.process.pid
    try:
        assert ui.url.startswith("http://127.0.0.1:")
        health = local_ui.api(ui, "/api/v2/monitor/health")
        assert health["metadatabase"]["status"] == "healthy"
        deadline = time.monotonic() + 240  # the dag-processor parses the folder once
        dags: set[str] = set()
        while time.monotonic() < deadline and not dags >= EXPECTED:
            dags = {d["dag_id"] for d in local_ui.api(ui, "/api/v2/dags?limit=100")["dags"]}
            time.sleep(3)
        assert dags == EXPECTED
        assert local_ui.api(ui, "/api/v2/importErrors")["total_entries"] == 0
        port = int(ui.url.rsplit(":", 1)[1])
    finally:
        local_ui.stop(ui)
    assert not local_ui.group_alive(pgid)
    with socket.socket() as s:  # nothing listens on the port any more
        assert s.connect_ex(("127.0.0.1", port)) != 0
