"""DAG integrity: every file imports, no cycles, documented and owned, parsed quickly."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workcomp import settings
from workcomp.orchestration.environment import airflow_environment
from workcomp.orchestration.ingest_dag import OWNER

DAG_FILES = sorted(p for p in settings.DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
PARSE_BUDGET_S = 1.0  # the issue asks for < 2 s; the performance target is 1 s

# Runs in a child process with Airflow pointed at a throwaway home: imports the DAG folder
# through Airflow's own DagBag and reports what a reviewer needs.
PROBE = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    order, seen = [], set()
    def visit(task, stack):
        if task.task_id in stack:
            raise SystemExit(f"cycle through {task.task_id} in {dag_id}")
        if task.task_id in seen:
            return
        seen.add(task.task_id)
        for child in task.downstream_list:
            visit(child, stack | {task.task_id})
    for task in dag.roots:
        visit(task, frozenset())
    out["dags"][dag_id] = {
        "file": dag.fileloc, "doc_md": bool(dag.doc_md and dag.doc_md.strip()),
        "owners": sorted({t.owner for t in dag.tasks}), "tasks": len(dag.tasks),
        "max_active_runs": dag.max_active_runs, "reached": len(seen),
        "task_policy": {
            t.task_id: {"retries": t.retries, "backoff": bool(t.retry_exponential_backoff),
                        "pool": t.pool, "alerts": bool(t.on_failure_callback)}
            for t in dag.tasks
        },
    }
print("PROBE" + json.dumps(out))
"""

# CPU time to import one DAG file in a process that has already imported what Airflow's DAG
# processor has loaded before it parses any file (the SDK and the DagBag machinery). CPU time,
# not wall time, so a busy machine does not fail the budget.
TIMER = r"""
import runpy, sys, time
import airflow.sdk, airflow.dag_processing.dagbag  # noqa: F401  (the processor's own imports)
t = time.process_time(); runpy.run_path(sys.argv[1]); print("SECONDS", time.process_time() - t)
"""


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    env = airflow_environment("postgresql://u:p@127.0.0.1:1/none")
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    return {**__import__("os").environ, **env}


@pytest.fixture(scope="module")
def probe(airflow_env):
    done = subprocess.run([sys.executable, "-c", PROBE, str(settings.DAGS_DIR)],
                          env=airflow_env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


def test_every_dag_file_imports_without_error(probe):
    assert probe["errors"] == {}
    files = {Path(d["file"]).name for d in probe["dags"].values()}
    assert files == {p.name for p in DAG_FILES}, "one DAG per file, every file a DAG"


def test_expected_dags_are_there(probe):
    assert {
        "ingest_health", "ingest_social_insurance", "ingest_emergency_management",
        "ingest_public_security", "warehouse_build", "quality_checks", "monthly_reports",
    } == set(probe["dags"])  # fmt: skip


def test_every_dag_is_documented_owned_acyclic_and_single_run(probe):
    for dag_id, dag in probe["dags"].items():
        assert dag["doc_md"], dag_id
        assert dag["owners"] == [OWNER], dag_id
        assert dag["max_active_runs"] == 1, dag_id
        assert dag["reached"] == dag["tasks"] > 0, dag_id  # every task reachable, no cycle


def test_retries_pools_and_alerts(probe):
    for dag_id, dag in probe["dags"].items():
        for task_id, policy in dag["task_policy"].items():
            assert policy["alerts"], f"{dag_id}.{task_id} reports no failure"
            if dag_id == "warehouse_build":  # a failed dbt node is a data or code error
                assert policy["retries"] == 0 and policy["pool"] == "warehouse_dbt", task_id
            else:  # transient faults retried with backoff (data errors fail fast in the task)
                assert policy["retries"] >= 2 and policy["backoff"], f"{dag_id}.{task_id}"
            if task_id.startswith("load_"):
                assert policy["pool"] == "warehouse_loads", f"{dag_id}.{task_id}"


def test_warehouse_build_renders_every_dbt_model(probe):
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    # Cosmos renders each model and seed as a run task plus, where it has tests, a test task.
    assert probe["dags"]["warehouse_build"]["tasks"] >= len(models)


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_within_budget(dag_file, airflow_env):
    done = subprocess.run([sys.executable, "-c", TIMER, str(dag_file)], env=airflow_env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seconds = float(done.stdout.split("SECONDS")[-1])
    print(f"{dag_file.name}: {seconds:.2f} s")
    assert seconds < PARSE_BUDGET_S
