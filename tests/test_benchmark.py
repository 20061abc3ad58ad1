"""The benchmark command runs every method on the same file and each handles every row (its
figures are read by people, not asserted: speed is not a test)."""

import os
import subprocess
import sys


def test_the_ingest_benchmark_runs_every_method_on_every_row(server_url):
    """Two rounds: a round whose load was skipped as a repeat delivery would fail the run."""
    env = {**os.environ, "WORKCOMP_DATABASE_URL": server_url}
    done = subprocess.run(
        [sys.executable, "-m", "workcomp.cli", "benchmark", "ingest", "--rows", "3000",
         "--repeat", "2"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Contributions ingest, 3,000 rows" in done.stdout
    for method in ("copy", "pandas", "workcomp", "workcomp-1"):
        assert f"  {method}: " in done.stdout, method


def test_the_dag_parse_benchmark_parses_every_dag_file(server_url, tmp_path):
    env = {**os.environ, "WORKCOMP_DATABASE_URL": server_url, "WORKCOMP_STATE_DIR": str(tmp_path)}
    env.pop("AIRFLOW_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "workcomp.cli", "benchmark", "dags"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("ingest_social_insurance.py", "warehouse_build.py", "quality_checks.py",
                 "monthly_reports.py", "ingest_health.py"):  # fmt: skip
        assert name in done.stdout, name
