"""The main job through Airflow, dbt and Great Expectations, checked against the generator.

The expected coverage comes from the generator's ground truth (headcounts it simulated, not
files it wrote), and the targets from the seed text (80% in 2020, 90% in 2021, 100% from
2022), not from anything the pipeline computed.
"""

import math
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest

from conftest import run_main

TARGETS = {2020: Fraction(80, 100), 2021: Fraction(90, 100)}  # 100% from 2022 on

pytestmark = pytest.mark.e2e


def expected_coverage(truth: dict) -> dict[tuple[int, str], tuple]:
    out = {}
    for key, figures in truth["coverage"].items():
        year, county = key.split(":")
        required, insured = figures["workers_required"], figures["workers_insured"]
        rate = (Decimal(insured) / Decimal(required)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        needed = math.ceil(TARGETS.get(int(year), Fraction(1)) * required)
        out[(int(year), county)] = (required, insured, rate, max(needed - insured, 0),
                                    insured >= needed)  # fmt: skip
    return out


def mart(url):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select coverage_year, region_code, workers_required, workers_insured, coverage_rate,"
            " gap_workers, is_on_track from marts.fct_key_industry_coverage_by_county"
        ).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def counts(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select (select count(*) from raw.health__dust_enterprises),"
            " (select count(*) from raw.social_insurance__employers),"
            " (select count(*) from raw.quarantine),"
            " (select count(*) from raw.batches where status = 'loaded'),"
            " (select count(*) from raw.batches where status <> 'loaded')"
        ).fetchone()


def test_coverage_mart_equals_the_generators_truth(first_run):
    url, *_, truth = first_run
    assert mart(url) == expected_coverage(truth)


def test_every_row_is_loaded_or_quarantined(first_run):
    url, *_, truth = first_run
    stats = truth["datasets"]

    def loaded(table):
        return stats[table]["rows"] - stats[table].get("dirty", 0)

    batches = sum(s["batches"] for s in stats.values())
    dirty = sum(s.get("dirty", 0) for s in stats.values())
    assert counts(url) == (
        loaded("health__dust_enterprises"), loaded("social_insurance__employers"), dirty,
        batches, 0,
    )  # fmt: skip


def test_main_job_prints_the_coverage_table_and_where_things_are(first_run):
    _, _, root, stdout, _ = first_run
    assert "乌拉特后旗" in stdout and "参保率" in stdout
    assert "Data Docs" in stdout and "Airflow run log" in stdout
    assert (
        root / "state" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).exists()
    # The DAGs really ran in Airflow: the metadata database records successful runs.
    with __import__("sqlite3").connect(root / "state" / "airflow" / "airflow.db") as db:
        runs = dict(db.execute("select dag_id, state from dag_run").fetchall())
    assert runs == {
        "ingest_health": "success", "ingest_social_insurance": "success",
        "ingest_emergency_management": "success", "ingest_public_security": "success",
        "warehouse_build": "success", "quality_checks": "success",
        "monthly_reports": "success",
    }  # fmt: skip
    # It ends by naming the bulletin and the forms it wrote for the last month with data.
    reports = root / "state" / "reports"
    named = re.findall(r"(/\S+\.(?:html|pdf|xlsx))", stdout.replace("\n", " "))
    assert str(reports / "bulletins" / "工伤保险数据月报_150800_202512.html") in named
    forms = [Path(p) for p in named if p.endswith(".xlsx") and "/forms/" in p]
    assert {p.name.split("_")[0] for p in forms} == {
        "职业病人员统计情况表", "尘肺病重点行业企业信息一览表", "参保扩面进度表",
    }  # fmt: skip
    assert all(p.exists() for p in forms)


def test_running_again_changes_nothing(first_run):
    url, env, *_ = first_run
    before_mart, before_counts = mart(url), counts(url)
    done = run_main(env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert mart(url) == before_mart
    assert counts(url) == before_counts


PII_COLUMNS = {"resident_id", "worker_name", "person_name", "trainee_name", "contact_person",
               "contact_phone"}  # fmt: skip


def test_no_name_or_id_number_reaches_staging_or_marts(first_run):
    url, *_ = first_run
    from workcomp.contracts import all_contracts

    pii = {c.name for k in all_contracts().values() for c in k.all_fields if c.pii}
    assert pii == PII_COLUMNS  # the contracts flag exactly these
    with psycopg.connect(url) as conn:
        leaked = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts')"
            " and column_name = any(%s)",
            (sorted(pii),),
        ).fetchall()
        keys = conn.execute(
            "select count(*), count(distinct person_key), min(length(person_key))"
            " from staging.stg_social_insurance__enrolment_changes"
        ).fetchone()
    assert leaked == []
    assert keys[0] > 0 and keys[1] < keys[0] and keys[2] == 64  # one key per person, sha-256


def test_insured_headcount_and_injury_rates_equal_the_generators_truth(first_run):
    url, *_, truth = first_run
    rates = truth["rates"]
    expected = {}
    keys = set(rates["insured_person_months"]) | set(rates["recognised_injuries"])
    for key in keys:
        year, county, division = key.split(":")
        months = rates["insured_person_months"].get(key, 0)
        injuries = rates["recognised_injuries"].get(key, 0)
        avg = (Decimal(months) / 12).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rate = None
        if months:
            rate = (Decimal(injuries) * 1000 * 12 / months).quantize(
                Decimal("0.0001"), ROUND_HALF_UP
            )
        expected[(int(year), county, division)] = (avg, injuries, rate)
    with psycopg.connect(url) as conn:
        got = {
            (r[0], r[1], r[2]): (r[3], r[4], r[5])
            for r in conn.execute(
                "select rate_year, region_code, industry_division, avg_insured_workers,"
                " recognised_injuries, injury_rate_per_mille from marts.fct_injury_rates"
            ).fetchall()
        }
        december = dict(conn.execute(
            "select extract(year from headcount_month)::text, sum(insured_headcount)::int"
            " from intermediate.int_insured_headcount_monthly"
            " where extract(month from headcount_month) = 12 group by 1"
        ).fetchall())  # fmt: skip
    assert december == rates["insured_in_december"]
    assert got == expected


def test_fund_marts_equal_the_generators_ledger(first_run):
    url, *_, truth = first_run
    expected = {}
    for month, figures in truth["fund_monthly"].items():
        year = int(month[:4])
        sums = expected.setdefault(year, [Decimal(0)] * 3)
        for i, key in enumerate(
            ("contribution_income", "benefit_expenditure", "prevention_expenditure")
        ):
            sums[i] += Decimal(figures[key])
    breaks = {}
    for planted in truth["anomalies"]["fund_ledger_break"]:
        breaks[int(planted["month"][:4])] = breaks.get(int(planted["month"][:4]), 0) + 1
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select fund_year, contribution_income, benefit_expenditure, prevention_expenditure,"
            " months_not_reconciled, prevention_fee_ratio from marts.fct_fund_yearly"
        ).fetchall()
    got = {r[0]: [r[1], r[2], r[3]] for r in rows}
    assert got == expected
    assert {r[0]: r[4] for r in rows if r[4]} == breaks
    ratios = {r[0]: r[5] for r in rows}
    for year in range(2021, 2026):
        previous_income = expected[year - 1][0]
        want = (expected[year][2] / previous_income).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        assert ratios[year] == want, year


def test_inspection_ledger_and_disease_register_agree_with_the_truth(first_run):
    url, *_, truth = first_run
    with psycopg.connect(url) as conn:
        ledger = conn.execute(
            "select ledger_year, region_code, sum(workers_total)::int, sum(workers_insured)::int,"
            " bool_or(refer_to_labour_inspection) from marts.fct_key_enterprise_inspection_ledger"
            " group by 1, 2"
        ).fetchall()
        cases = dict(conn.execute(
            "select diagnosis_year::text, count(*)::int from marts.fct_occupational_disease_cases"
            " group by 1"
        ).fetchall())  # fmt: skip
    coverage = truth["coverage"]
    assert {
        f"{y}:{c}": {"workers_required": t, "workers_insured": i} for y, c, t, i, _ in ledger
    } == coverage
    for year, county, total, insured, referred in ledger:
        assert referred == (insured < total), (year, county)
    assert cases == truth["occupational_disease_cases"]


def test_high_risk_positions_equal_the_truth_and_respect_the_exposure_minimum(first_run):
    url, *_, truth = first_run
    rates = truth["rates"]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select injury_year, industry_division, position, recognised_injuries,"
            " exposed_workers, rate_per_1000_exposed, rank_in_division"
            " from marts.fct_high_risk_positions"
        ).fetchall()
    got = {f"{y}:{d}:{p}": n for y, d, p, n, *_ in rows}
    assert got == rates["injuries_by_position"]
    for year, division, position, injuries, exposed, rate, rank in rows:
        want = rates["exposed_by_position"].get(f"{year}:{division}:{position}")
        assert exposed == want
        if want is None or want < 30:  # dbt var min_exposed_workers_for_rank
            assert rate is None and rank is None
        else:
            expected = (Decimal(injuries) * 1000 / want).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert rate == expected and rank >= 1


def test_every_model_and_column_is_documented(first_run):
    import json

    from workcomp.settings import DBT_PROJECT_DIR

    url, *_ = first_run
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = {
        (n["schema"], n["alias"]): n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
    }
    # The audit schema also holds what audit staff and the quality runs write, not dbt, and
    # staging the build's bookkeeping (macros/incremental_by_month.sql and
    # macros/table_when_inputs_change.sql).
    not_dbt = {("audit", "case_reviews"), ("audit", "quality_results"),
               ("staging", "incremental_batches"), ("staging", "incremental_months"),
               ("staging", "build_inputs")}  # fmt: skip
    with psycopg.connect(url) as conn:
        built = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts', 'audit')"
        ).fetchall()
    built = [(s, t, c) for s, t, c in built if (s, t) not in not_dbt]
    assert {(s, t) for s, t, _ in built} == set(models)
    for schema, table, column in built:
        node = models[(schema, table)]
        assert node["description"], table
        assert node["columns"].get(column, {}).get("description"), f"{table}.{column}"


def test_dbt_docs_generate_catalogues_every_mart(first_run, tmp_path):
    import json

    from workcomp.orchestration.environment import dbt_environment
    from workcomp.settings import DBT_PROJECT_DIR

    url, env, *_ = first_run
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "docs", "generate", "--project-dir",
         str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path",
         str(tmp_path), "--quiet"],
        env={**env, **dbt_environment(url)}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    marts = {k for k, n in catalog["nodes"].items() if n["metadata"]["schema"] == "marts"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    expected = {
        k for k, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n["schema"] == "marts"
    }  # fmt: skip
    assert marts == expected and len(expected) >= 10
    assert {m["name"] for m in manifest["metrics"].values()} >= {
        "key_industry_coverage_rate", "injury_rate_per_mille", "prevention_fee_ratio",
    }  # fmt: skip
    assert len(manifest["exposures"]) == 4
