"""Run DAGs through Airflow itself, in this process, one after the other (``dag.test()``).

Called by the CLI in a child process whose environment points Airflow at the project's home
and the warehouse (see ``environment.py``). Exits non-zero, naming the DAG and its failed
tasks, if any run does not succeed.

    python -m workcomp.orchestration.run_dags ingest_health ingest_social_insurance ...
"""

from __future__ import annotations

import sys

from workcomp import settings


def run_in_process(dag, **kwargs):
    """``dag.test()``, without the DAG's deadline alerts: no scheduler watches an in-process
    run's deadline, and Airflow 3.3's ``dag.test()`` fails on a DAG that has one (its
    ``update_state`` looks the alerts up by id where the test run holds their definitions)."""
    dag.deadline = None
    return dag.test(**kwargs)


def run(dag_ids: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag

    from workcomp.orchestration.reliability import ensure_pools

    ensure_pools()
    bag = DagBag(dag_folder=settings.DAGS_DIR)
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"DAG import error in {path}:\n{error}", file=sys.stderr)
        return 2
    for dag_id in dag_ids:
        dag = bag.dags.get(dag_id)
        if dag is None:
            print(f"no DAG named {dag_id!r} in {settings.DAGS_DIR}", file=sys.stderr)
            return 2
        print(f"::workcomp:: running DAG {dag_id}", flush=True)
        dag_run = run_in_process(dag)
        failed = [ti.task_id for ti in dag_run.get_task_instances() if ti.state == "failed"]
        state = str(getattr(dag_run.state, "value", dag_run.state))
        print(f"::workcomp:: DAG {dag_id} finished: {state}", flush=True)
        if state != "success":
            detail = f"; failed tasks: {', '.join(failed)}" if failed else ""
            print(f"DAG {dag_id} ended {state}{detail}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
