"""The dbt project as an Airflow task group (Cosmos), rendered from a prebuilt manifest."""

from __future__ import annotations

from pathlib import Path

from workcomp import settings
from workcomp.warehouse.connection import AIRFLOW_CONN_ID


class ManifestMissing(RuntimeError):
    pass


class NothingSelected(RuntimeError):
    """A dbt selection matched no node: an empty build would look like a successful one."""


def manifest_path() -> Path:
    return settings.DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_build_group(group_id: str = "dbt", select: tuple[str, ...] = ()):
    """Every dbt node (or those ``select`` picks, dbt selector syntax) as one task each."""
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    manifest = manifest_path()
    if not manifest.exists():
        raise ManifestMissing(
            f"{manifest} is missing: run `workcomp dbt-manifest` (the setup does) so the DAG "
            "can be rendered without running dbt at parse time"
        )
    project_config = ProjectConfig(
        dbt_project_path=settings.DBT_PROJECT_DIR,
        manifest_path=manifest,
        install_dbt_deps=False,
    )
    # Cosmos wraps every manifest path in an ObjectStoragePath, whose first use costs ~0.8 s
    # of imports at each parse; a local manifest needs only pathlib.
    project_config.manifest_path = manifest
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config,
        profile_config=ProfileConfig(
            profile_name="workcomp",
            target_name="warehouse",
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=AIRFLOW_CONN_ID, profile_args={"schema": "public"}
            ),
        ),
        # One `dbt build` task per node: its tests run with it and a failure stops everything
        # downstream, at half the task count (and parse overhead) of run-then-test tasks.
        # A test with several parents (a relationship to a seed) gets its own task after all
        # of them, or it would run before the other parent exists.
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            select=list(select),
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        # Marts and audit models go to their *_build schemas; quality_checks publishes them.
        operator_args={"install_deps": False, "vars": {"write_audit_publish": True}},
    )
    if not group.children:
        raise NothingSelected(
            f"dbt selection {list(select) or 'all'} matched no node in {manifest}: check the "
            "selector, or rebuild the manifest with `workcomp dbt-manifest`"
        )
    return group
