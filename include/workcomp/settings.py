"""Where things live. Every path can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).resolve() if value else default


def state_dir() -> Path:
    """Runtime state (database, Airflow home, Data Docs, logs); git-ignored."""
    return _path("WORKCOMP_STATE_DIR", PROJECT_ROOT / ".workcomp")


def landing_dir() -> Path:
    """landing/<source>/<dataset>/<batch>/ as agencies deliver files."""
    return _path("WORKCOMP_LANDING_DIR", state_dir() / "landing")


def airflow_home() -> Path:
    return _path("AIRFLOW_HOME", state_dir() / "airflow")


def gx_root() -> Path:
    """Great Expectations file context (results, Data Docs); suites come from expectations/."""
    return _path("WORKCOMP_GX_DIR", state_dir() / "gx")


DAGS_DIR = PROJECT_ROOT / "dags"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
