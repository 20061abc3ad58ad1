"""Things break on purpose; nothing is lost, half-visible or counted twice.

- the Postgres server crashes in the middle of a load, then the load runs again;
- the warehouse is unreachable when a run starts;
- the same batch arrives twice (also under another name), and a late month arrives after a
  later one;
- a dbt build is killed midway, then run again (end to end)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from workcomp.contracts import get_contract
from workcomp.ingest.loader import bootstrap, load_batch
from workcomp.orchestration import tasks
from workcomp.orchestration.reliability import is_transient
from workcomp.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from workcomp.warehouse.embedded import EmbeddedPostgres

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
CONTRIBUTIONS = get_contract("social_insurance", "contributions")
EMPLOYERS = get_contract("social_insurance", "employers")
INGEST = r"""
import sys
from workcomp.orchestration import tasks
print("LOADED", tasks.ingest("social_insurance", "contributions"), flush=True)
"""


def contributions_batch(landing: Path, name: str, copies: int) -> tuple[Path, int]:
    """The example contributions file repeated ``copies`` times, with its manifest."""
    header, *rows = (EXAMPLES / "social_insurance__contributions.csv").read_text(
        encoding="utf-8-sig").splitlines()  # fmt: skip
    batch = landing / "social_insurance" / "contributions" / name
    batch.mkdir(parents=True)
    lines = rows * copies
    (batch / "contributions.csv").write_text("\n".join([header, *lines]) + "\n", "utf-8")
    (batch / "manifest.json").write_text(json.dumps({"files": [{"file": "contributions.csv"}]}))
    return batch, len(lines)


def counts(url: str, batch_id: str) -> tuple:
    with psycopg.connect(url) as conn:
        exists = conn.execute("select to_regclass('raw.social_insurance__contributions')")
        loaded = 0  # the table is created in the load's own transaction
        if exists.fetchone()[0]:
            loaded = conn.execute(
                "select count(*) from raw.social_insurance__contributions where _batch_id = %s",
                (batch_id,),
            ).fetchone()[0]
        return (
            loaded,
            conn.execute(
                "select count(*) from raw.quarantine where batch_id = %s", (batch_id,)
            ).fetchone()[0],
            conn.execute(
                "select status, rows_read, rows_loaded, rows_quarantined from raw.batches"
                " where batch_id = %s",
                (batch_id,),
            ).fetchall(),
        )


def test_a_server_crash_mid_load_leaves_no_partial_batch(tmp_path):
    server = EmbeddedPostgres(root=tmp_path / "pg")
    url = server.start()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            bootstrap(conn)
        landing = tmp_path / "landing"
        # a million rows: several seconds of COPY even at full speed
        _, rows = contributions_batch(landing, "2024-06", copies=200_000)
        batch_id = "social_insurance/contributions/2024-06"
        env = {**os.environ, "WORKCOMP_DATABASE_URL": url, "WORKCOMP_LANDING_DIR": str(landing)}
        env.pop("AIRFLOW_HOME", None)
        load = subprocess.Popen([sys.executable, "-c", INGEST], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        # an open COPY, not the last statement of a session that has already committed
        copying = ("select count(*) from pg_stat_activity"
                   " where state = 'active' and query ilike 'copy %'")  # fmt: skip
        deadline = time.monotonic() + 120
        with psycopg.connect(url, autocommit=True) as watcher:
            while watcher.execute(copying).fetchone()[0] == 0:
                assert load.poll() is None, "the load ended before the crash"
                assert time.monotonic() < deadline
                time.sleep(0.05)
        time.sleep(0.2)  # into the COPY, well before its end
        server._pg("pg_ctl", "stop", "-m", "immediate", "-D", str(server.data_dir))  # a crash
        _, err = load.communicate(timeout=120)
        assert load.returncode != 0 and "OperationalError" in err

        url = server.start()  # crash recovery
        assert counts(url, batch_id) == (0, 0, [])  # nothing of the batch is visible

        done = subprocess.run([sys.executable, "-c", INGEST], capture_output=True, text=True,
                              env={**env, "WORKCOMP_DATABASE_URL": url}, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        in_raw, quarantined, record = counts(url, batch_id)
        assert in_raw + quarantined == rows
        assert record == [("loaded", rows, in_raw, quarantined)]
    finally:
        server.stop()


def test_an_unreachable_warehouse_fails_clearly_is_retried_and_damages_nothing(
    fresh_url, tmp_path, monkeypatch
):
    landing = tmp_path / "landing"
    batch, rows = contributions_batch(landing, "2024-06", copies=2)
    before = sorted(p.name for p in batch.iterdir())
    monkeypatch.setenv("WORKCOMP_LANDING_DIR", str(landing))
    monkeypatch.setenv("WORKCOMP_DATABASE_URL", "postgresql://workcomp:x@127.0.0.1:1/workcomp")
    with pytest.raises(psycopg.OperationalError, match=r"127\.0\.0\.1.*port 1.*refused") as exc:
        tasks.ingest("social_insurance", "contributions")
    assert is_transient(exc.value)  # Airflow retries it with backoff (test_retries)
    assert sorted(p.name for p in batch.iterdir()) == before  # the delivery is untouched

    monkeypatch.setenv("WORKCOMP_DATABASE_URL", fresh_url)  # the warehouse is back
    [result] = tasks.ingest("social_insurance", "contributions")
    assert (result["status"], result["rows_read"]) == ("loaded", rows)
    with psycopg.connect(fresh_url) as conn:
        statuses = conn.execute("select status from raw.batches").fetchall()
    assert statuses == [("loaded",)]  # no failed record left behind by the outage


def test_a_batch_sent_twice_or_late_is_loaded_once_in_its_place(conn, tmp_path):
    landing = tmp_path / "landing"
    june, june_rows = contributions_batch(landing, "2024-06", copies=1)
    assert load_batch(conn, CONTRIBUTIONS, june).status == "loaded"
    # The same delivery again: same folder, then the same files under another folder name.
    assert load_batch(conn, CONTRIBUTIONS, june).status == "skipped"
    resent = landing / "social_insurance" / "contributions" / "2024-06-resent"
    resent.mkdir()
    for path in june.iterdir():
        (resent / path.name).write_bytes(path.read_bytes())
    again = load_batch(conn, CONTRIBUTIONS, resent)
    assert again.status == "skipped" and "social_insurance/contributions/2024-06" in again.message
    # A late month after a later one: loaded beside it, nothing replaced.
    march = landing / "social_insurance" / "contributions" / "2024-03"
    march.mkdir()
    header, *rows = (june / "contributions.csv").read_text("utf-8").splitlines()
    late = [r.replace(",202001,", ",202403,", 1) for r in rows[:3]]
    (march / "contributions.csv").write_text("\n".join([header, *late]) + "\n", "utf-8")
    assert load_batch(conn, CONTRIBUTIONS, march).status == "loaded"
    per_batch = dict(conn.execute(
        "select _batch_id, count(*) from raw.social_insurance__contributions group by 1"
    ).fetchall())  # fmt: skip
    assert per_batch == {
        "social_insurance/contributions/2024-06": june_rows
        - conn.execute(
            "select count(*) from raw.quarantine where batch_id like '%2024-06'"
        ).fetchone()[0],
        "social_insurance/contributions/2024-03": 3,
    }


SNAPSHOT = "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {} as t"


def published(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_type = 'BASE TABLE' order by 1"
        )]  # fmt: skip
        return {n: conn.execute(SNAPSHOT.format(f"marts.{n}")).fetchone()[0] for n in names}


@pytest.mark.e2e
def test_a_dbt_build_killed_midway_then_run_again_equals_a_clean_run(first_run, tmp_path):
    from workcomp.orchestration.environment import dbt_environment

    url, env, *_ = first_run
    clean = published(url)
    assert len(clean) > 15
    dbt_env = {**env, **dbt_environment(url), "WORKCOMP_GX_DIR": str(tmp_path / "gx")}
    build = [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir",
             str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet",
             "--exclude", "path:models/marts/semantic",
             "--vars", '{"write_audit_publish": true}']  # fmt: skip
    killed = subprocess.Popen(build, env=dbt_env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    in_build = "select count(*) from information_schema.tables where table_schema = 'marts_build'"
    deadline = time.monotonic() + 600
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute(in_build).fetchone()[0] < 3:  # a few marts built, more to come
            assert killed.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=60)
    assert published(url) == clean  # readers never saw the half-done build

    done = subprocess.run(build, env=dbt_env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    done = subprocess.run([sys.executable, "-m", "workcomp.cli", "publish"], env=dbt_env,
                          capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert published(url) == clean
