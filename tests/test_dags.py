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
from airflow.serialization.serialized_objects import DagSerialization
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
                        "pool": t.pool, "alerts": bool(t.on_failure_callback),
                        "upstream": sorted(t.upstream_task_ids), "mode": getattr(t, "mode", None),
                        "timeout": getattr(t, "timeout", None)}
            for t in dag.tasks
        },
        # As the scheduler stores it: a deadline that does not serialize would never fire.
        "deadlines": [
            {"reference": d["reference"]["reference_type"],
             "interval": d["interval"]["__data__"], "callback": d["callback"]["__data__"]["path"]}
            for d in (DagSerialization.to_dict(dag)["dag"].get("deadline") or [])
        ],
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


def test_every_load_waits_for_complete_batches(probe):
    for source in ("health", "social_insurance", "emergency_management", "public_security"):
        policy = probe["dags"][f"ingest_{source}"]["task_policy"]
        loads = [t for t in policy if t.startswith("load_")]
        assert loads, source
        for load in loads:
            dataset = load.removeprefix("load_")
            sensor = policy[f"wait_for_{dataset}"]
            assert policy[load]["upstream"] == [f"wait_for_{dataset}"], load
            # Waiting holds no worker slot, and gives up (and alerts) after six hours.
            assert sensor["mode"] == "reschedule" and sensor["timeout"] == 6 * 3600, load
            assert policy[f"validate_{dataset}"]["upstream"] == [load]


def test_every_dag_has_a_deadline_alert(probe):
    expected = {"ingest": 7 * 3600, "warehouse_build": 2 * 3600, "quality_checks": 3600,
                "monthly_reports": 3600}  # fmt: skip
    for dag_id, dag in probe["dags"].items():
        kind = "ingest" if dag_id.startswith("ingest_") else dag_id
        assert dag["deadlines"] == [
            {
                "reference": "DagRunQueuedAtDeadline",
                "interval": expected[kind],
                "callback": "workcomp.orchestration.reliability.deadline_missed",
            }
        ], dag_id


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


SELECT_NOTHING = r"""
from airflow.sdk import DAG
from workcomp.orchestration.dbt_group import NothingSelected, dbt_build_group
with DAG("select_nothing", schedule=None):
    try:
        dbt_build_group(select=("no_such_model",))
    except NothingSelected as exc:
        print("LOUD", exc)
"""


def test_a_dbt_selection_matching_nothing_fails_loudly(airflow_env):
    # In Airflow: rendering a build group from a selection that matches nothing.
    done = subprocess.run([sys.executable, "-c", SELECT_NOTHING], env=airflow_env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert "LOUD dbt selection ['no_such_model'] matched no node" in done.stdout, done.stderr[
        -2000:
    ]
    # In dbt itself (a stale manifest in a Cosmos task, or a hand-typed selector).
    from workcomp.orchestration.environment import dbt_environment

    env = {**airflow_env, **dbt_environment("postgresql://u:p@127.0.0.1:1/none")}
    dbt = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run([dbt, "ls", "--select", "no_such_model", "--profiles-dir", "."],
                          cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode != 0
    assert "'no_such_model' does not match any enabled nodes" in done.stdout
