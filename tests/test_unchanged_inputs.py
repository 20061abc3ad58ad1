"""Staging and intermediate tables are rebuilt only when something they are built from changed
(macros/table_when_inputs_change.sql): a build with nothing new keeps every one of them, a new
batch of one feed rebuilds exactly that feed's descendants, and what is kept equals a build
from scratch.

Which models descend from a feed is read from dbt's manifest (the project's graph), not from
the materialization; whether a table was rebuilt is read from Postgres (a rebuilt table is a
new relation with a new oid)."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import run_dbt
from workcomp.contracts import all_contracts
from workcomp.generator import generate
from workcomp.ingest.loader import load_batch, pending_batches
from workcomp.settings import DBT_PROJECT_DIR

# Tests reading a mart as well are left out (cautious): only the tables under test are built.
SELECT = ["--select", "path:seeds", "path:models/staging", "path:models/intermediate",
          "--indirect-selection", "cautious"]
ENROLMENT_SOURCE = "source.workcomp.social_insurance.enrolment_changes"


def _manifest() -> dict:
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def _kept_models(manifest: dict, schemas=("staging", "intermediate")) -> set[str]:
    """Models with this materialization in these schemas (incrementals have their own)."""
    return {
        n["name"] for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] in schemas
        and n["config"]["materialized"] == "table_when_inputs_change"
    }  # fmt: skip


def _descendants(manifest: dict, uid: str) -> set[str]:
    seen, todo = set(), [uid]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child.startswith("model.") and child not in seen:
                seen.add(child)
                todo.append(child)
    return {manifest["nodes"][c]["name"] for c in seen}


def _oids(conn, names: set[str], schemas=("staging", "intermediate")) -> dict[str, int]:
    return dict(conn.execute(
        "select relname, oid::bigint from pg_class where relname = any(%s) and relkind = 'r'"
        " and relnamespace in (select oid from pg_namespace where nspname = any(%s))",
        [sorted(names), list(schemas)],
    ).fetchall())  # fmt: skip


def _test_runs(conn) -> dict[str, object]:
    """When each remembered test last ran and passed (a kept pass keeps its time)."""
    return dict(conn.execute(
        "select substr(relation, 6), built_at from staging.build_inputs"
        " where relation like 'test:%'"
    ).fetchall())  # fmt: skip


def _contents(conn, names: set[str]) -> dict[str, list]:
    out = {}
    for name in sorted(names):
        schema = "staging" if name.startswith("stg_") else "intermediate"
        rows = conn.execute(f"select t::text from {schema}.{name} as t").fetchall()
        out[name] = sorted(r[0] for r in rows)
    return out


@pytest.fixture
def region(conn, fresh_url, tmp_path):
    """A tiny region loaded in full but for its last enrolment-changes batch, held back."""
    landing = tmp_path / "landing"
    generate(landing, tmp_path / "truth.json", "tiny", seed=11)
    contracts = all_contracts()
    enrolments = contracts["social_insurance__enrolment_changes"]
    *earlier, last = pending_batches(landing, enrolments)
    held = tmp_path / "held" / last.name
    held.parent.mkdir()
    shutil.move(last, held)
    for contract in contracts.values():
        for batch in pending_batches(landing, contract):
            load_batch(conn, contract, batch)
    assert earlier, "the tiny region delivers enrolment changes in several batches"
    return fresh_url, enrolments, held, last


def test_tables_are_kept_until_an_input_changes_and_equal_a_full_build(conn, region):
    url, enrolments, held, home = region
    manifest = _manifest()
    managed = _kept_models(manifest)
    enrolment_models = _descendants(manifest, ENROLMENT_SOURCE) & managed
    assert {"stg_social_insurance__enrolment_changes", "int_enrolment_spans",
            "int_insured_headcount_monthly"} <= enrolment_models  # fmt: skip
    assert len(managed) > len(enrolment_models) + 5  # other feeds' models to keep

    run_dbt(url, "build", "--quiet", *SELECT)
    first = _oids(conn, managed)
    assert set(first) == managed
    contents = _contents(conn, managed)

    # Nothing new: every table is the same relation, untouched, and no test ran again.
    tests_first = _test_runs(conn)
    assert len(tests_first) > 50
    run_dbt(url, "build", "--quiet", *SELECT)
    assert _oids(conn, managed) == first
    assert _test_runs(conn) == tests_first

    # The held-back batch arrives: its feed's descendants are rebuilt, nothing else.
    shutil.move(held, home)
    assert load_batch(conn, enrolments, home).status == "loaded"
    run_dbt(url, "build", "--quiet", *SELECT)
    second = _oids(conn, managed)
    rebuilt = {name for name in managed if second[name] != first[name]}
    assert rebuilt == enrolment_models
    after = _contents(conn, managed)
    assert {n for n in managed if after[n] != contents[n]} <= enrolment_models
    assert after["stg_social_insurance__enrolment_changes"] != contents[
        "stg_social_insurance__enrolment_changes"
    ]  # the batch did bring rows
    # The tests that ran again are those of the rebuilt tables, by the graph.
    tests_second = _test_runs(conn)
    ran = {t for t in tests_second if tests_second[t] != tests_first.get(t)}
    rebuilt_ids = {f"model.workcomp.{n}" for n in enrolment_models} | {ENROLMENT_SOURCE}
    assert ran == {t for t in tests_second
                   if rebuilt_ids & set(manifest["nodes"][t]["depends_on"]["nodes"])}  # fmt: skip
    assert ran and len(ran) < len(tests_second)

    # `dbt test` looks at the data as it is, remembered passes or not: a row slipped into a
    # kept table behind dbt's back is found.
    conn.execute(
        "insert into staging.stg_health__dust_workers"
        " select * from staging.stg_health__dust_workers limit 1"
    )
    done = None
    try:
        run_dbt(url, "test", "--quiet", "--select", "stg_health__dust_workers")
    except AssertionError as failure:
        done = str(failure)
    assert done is not None and "FAIL" in done
    conn.execute("delete from staging.stg_health__dust_workers where ctid = (select max(ctid)"
                 " from staging.stg_health__dust_workers)")  # fmt: skip

    # Kept and rebuilt tables alike equal a build from scratch, which rebuilds them all.
    run_dbt(url, "build", "--quiet", "--full-refresh", *SELECT)
    third = _oids(conn, managed)
    assert all(third[n] != second[n] for n in managed)
    assert _contents(conn, managed) == after


def test_a_changed_model_or_seed_rebuilds_it_and_what_reads_it(conn, region, tmp_path):
    """Editing a model's SQL rebuilds it; a seed whose file changed rebuilds the models that
    read it; either way the models reading those are rebuilt too, and nothing else."""
    url, *_ = region
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    run_dbt(url, "build", "--quiet", *SELECT, project=project)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    managed = _kept_models(manifest)
    first = _oids(conn, managed)

    model = project / "models" / "staging" / "health" / "stg_health__dust_workers.sql"
    model.write_text(model.read_text() + "\n-- reviewed\n", "utf-8")
    # The most common division among the employers moves one risk class up.
    [(division, before)] = conn.execute(
        "select industry_division, risk_class from intermediate.int_employers"
        " group by 1, 2 order by count(*) desc limit 1"
    ).fetchall()
    seed = project / "seeds" / "ref_industry_risk_classes.csv"
    lines = seed.read_text("utf-8").splitlines()
    moved = [f"{division},{before + 1}," + line.split(",", 2)[2]
             if line.startswith(f"{division},") else line for line in lines]  # fmt: skip
    assert moved != lines
    seed.write_text("\n".join(moved) + "\n", "utf-8")
    run_dbt(url, "build", "--quiet", *SELECT, project=project)

    second = _oids(conn, managed)
    rebuilt = {n for n in managed if second[n] != first[n]}
    seed_readers = _descendants(manifest, "seed.workcomp.ref_industry_risk_classes") & managed
    edited = {"stg_health__dust_workers"} | (
        _descendants(manifest, "model.workcomp.stg_health__dust_workers") & managed
    )
    assert "int_employers" in seed_readers and "int_dust_worker_exposure" in edited
    assert rebuilt == seed_readers | edited
    assert rebuilt < managed  # some were kept
    classes = conn.execute(
        "select distinct risk_class from intermediate.int_employers where industry_division = %s",
        [division],
    ).fetchall()
    assert classes == [(before + 1,)]


def test_a_plain_build_keeps_unchanged_marts_but_not_those_reading_the_clock_or_reviews(
    conn, region
):
    """Waiting times (measured to the build date) and review statuses (audit.case_reviews,
    written by audit staff, not by the loader) change without a batch: those models, and what
    reads them, are rebuilt by every build; every other mart and audit table is kept."""
    url, *_ = region
    manifest = _manifest()
    semantic = {n["name"] for n in manifest["nodes"].values()
                if n["original_file_path"].startswith("models/marts/semantic/")}  # fmt: skip
    published = _kept_models(manifest, ("marts", "audit")) - semantic
    build = ["build", "--quiet", "--exclude", "path:models/marts/semantic"]  # as the main job
    run_dbt(url, *build)
    first = _oids(conn, published, ("marts", "audit"))
    assert set(first) == published
    run_dbt(url, *build)
    second = _oids(conn, published, ("marts", "audit"))
    rebuilt = {n for n in published if second[n] != first[n]}

    def reads_the_clock_or_reviews(node: dict) -> bool:
        return "audit_as_of()" in node["raw_code"] or any(
            d == "source.workcomp.audit.case_reviews" for d in node["depends_on"]["nodes"]
        )

    volatile = {n["name"] for n in manifest["nodes"].values()
                if n["resource_type"] == "model" and reads_the_clock_or_reviews(n)}  # fmt: skip
    expected = set(volatile)
    for name in volatile:
        expected |= _descendants(manifest, f"model.workcomp.{name}")
    assert {"anomaly_diagnosis_not_recognised", "fct_anomaly_cases"} <= expected
    assert rebuilt == expected & published
    assert len(published - rebuilt) > 10
