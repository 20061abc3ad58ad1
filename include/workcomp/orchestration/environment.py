"""The environment Airflow runs in locally: home, DAG folder, and the warehouse connection."""

from __future__ import annotations

import json
import os

from workcomp import settings
from workcomp.warehouse.connection import AIRFLOW_CONN_ID, URL_ENV, dsn_parts


def airflow_environment(url: str) -> dict[str, str]:
    """Variables for a local Airflow on this machine, pointed at the warehouse at ``url``."""
    parts = dsn_parts(url)
    home = settings.airflow_home()
    connection = {
        "conn_type": "postgres",
        "host": parts["host"],
        "port": parts["port"],
        "login": parts["user"],
        "password": parts["password"],
        "schema": parts["dbname"],
    }
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__PARALLELISM": "4",  # two cores: keep the warehouse unswamped
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
        # Cosmos's default /tmp/cosmos is shared by every user of the machine.
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.state_dir() / "cosmos"),
        # No outbound network here or in many bureaus: no usage telemetry.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}": json.dumps(connection),
        URL_ENV: url,
        "GX_ANALYTICS_ENABLED": "false",
        "NO_COLOR": "1",
    }


def dbt_environment(url: str) -> dict[str, str]:
    """Variables read by dbt_project/profiles.yml when dbt runs outside Airflow."""
    parts = dsn_parts(url)
    return {
        "WORKCOMP_PGHOST": str(parts["host"]),
        "WORKCOMP_PGPORT": str(parts["port"]),
        "WORKCOMP_PGUSER": str(parts["user"]),
        "WORKCOMP_PGPASSWORD": str(parts["password"]),
        "WORKCOMP_PGDATABASE": str(parts["dbname"]),
    }


def with_environment(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra}
