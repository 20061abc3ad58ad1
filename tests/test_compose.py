"""docker-compose.yml checked statically (no Docker engine runs here)."""

import re

import pytest
import yaml

from workcomp.settings import PROJECT_ROOT

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|SALT|TOKEN|_CONN", re.IGNORECASE)


def _env_items(service):
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env.items()


def test_the_deployment_has_every_service():
    assert {
        "warehouse", "airflow-metadata", "airflow-init", "airflow-api-server",
        "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "superset-init",
        "superset", "redis", "airflow-worker",
    } <= set(SERVICES)  # fmt: skip
    # LocalExecutor by default; Redis and the Celery workers only in the scale-out profile.
    default = {n for n, s in SERVICES.items() if "profiles" not in s}
    assert {"redis", "airflow-worker"}.isdisjoint(default)
    assert SERVICES["redis"]["profiles"] == SERVICES["airflow-worker"]["profiles"] == ["celery"]
    env = dict(_env_items(SERVICES["airflow-scheduler"]))
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert SERVICES["airflow-worker"]["command"] == ["airflow", "celery", "worker"]
    assert "--extra celery" in (PROJECT_ROOT / "Dockerfile").read_text()


def test_bi_reads_the_published_marts_as_the_read_only_role():
    command = " ".join(SERVICES["superset-init"]["command"])
    uri = re.search(r"postgresql\S*://([a-z_]+):", command)
    assert uri and uri.group(1) == "bi_reader"  # never the owner the warehouse runs as
    # The roles come from the project's code, applied by the init job before Superset starts.
    init = SERVICES["airflow-init"]
    assert "workcomp roles apply" in " ".join(init["command"])
    env = dict(_env_items(init))
    for role in ("LOADER", "TRANSFORMER", "BI_READER", "AUDITOR"):
        assert env[f"WORKCOMP_{role}_PASSWORD"].startswith(f"${{{role}_PASSWORD:?"), role
    needs = SERVICES["superset-init"]["depends_on"]["airflow-init"]
    assert needs["condition"] == "service_completed_successfully"
    # bi_reader: USAGE on marts only; never a write.
    script = (PROJECT_ROOT / "include/workcomp/warehouse/sql/roles.sql").read_text()
    bi = [line for line in script.splitlines() if re.search(r"\bbi_reader\s*;", line)]
    assert "grant usage on schema marts to bi_reader;" in bi
    assert not [g for g in bi if re.match(r"grant (insert|update|delete|all|create)", g)]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned(name):
    image = SERVICES[name]["image"]
    repo, _, tag = image.rpartition(":")
    assert repo and tag and tag != "latest" and re.search(r"\d", tag), image


def test_the_airflow_image_is_built_on_a_pinned_airflow():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE).group(1)
    assert re.fullmatch(r"apache/airflow:3\.3\.\d+-python3\.11", base)
    assert "uv export --locked" in dockerfile


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_secret_is_inlined(name):
    for key, value in _env_items(SERVICES[name]):
        if SECRET_KEY.search(key):
            secrets = re.sub(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}", "", str(value))
            # What is left around the ${VAR} references must carry no password.
            assert not re.search(r":[^:@/]+@", secrets), f"{name}.{key} inlines a credential"
            assert "${" in str(value), f"{name}.{key} should come from .env"


def test_long_running_services_have_health_checks_and_wait_for_dependencies():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":
            continue
        assert "healthcheck" in service, name
    for name, service in SERVICES.items():
        for dep, cond in service.get("depends_on", {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            one_off = SERVICES[dep].get("restart") == "no"
            wanted = "service_completed_successfully" if one_off else "service_healthy"
            assert cond["condition"] == wanted, f"{name} -> {dep}"


def test_named_volumes_are_declared_and_used():
    declared = set(COMPOSE["volumes"])
    used = {
        v.split(":", 1)[0]
        for s in SERVICES.values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))  # bind mounts of deploy/ scripts are not volumes
    }
    assert used == declared
    assert "warehouse-data" in used


def test_env_example_names_every_variable_the_compose_file_uses():
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))  # $${X} is escaped
    example = (PROJECT_ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    assert used <= defined, used - defined
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()
