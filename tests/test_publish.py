"""Write-audit-publish: what the build writes reaches readers only once validated."""

import psycopg
import pytest

from workcomp.warehouse.publish import PublishError, publish


@pytest.fixture
def built(conn):
    """Last good published marts, and a new build of them in marts_build."""
    conn.execute("""
        create schema if not exists marts_build;
        create schema if not exists audit_build;
        create table marts.rates (v int);           insert into marts.rates values (1);
        create table marts.fund (v int);            insert into marts.fund values (1);
        create view marts.fund_view as select v from marts.fund;
        create table marts_build.rates (v int);     insert into marts_build.rates values (2);
        create table marts_build.fund (v int);      insert into marts_build.fund values (2);
        create view marts_build.fund_view as select v from marts_build.fund;
        create view marts_build.fund_view_2 as select v from marts_build.fund_view;
        create table marts_build.new_mart (v int);  insert into marts_build.new_mart values (2);
        create table audit_build.cases (v int);     insert into audit_build.cases values (2);
        comment on table marts_build.rates is '工伤发生率';
        create role wc_test_reader;
        grant usage on schema marts to wc_test_reader;
        grant select on marts_build.rates to wc_test_reader;
    """)
    yield conn
    conn.execute("drop owned by wc_test_reader; drop role wc_test_reader")


def values(conn, relation):
    return [v for (v,) in conn.execute(f"select v from {relation}").fetchall()]


def relations(conn, schema):
    return {n for (n,) in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind in ('r', 'v')", [schema]).fetchall()}  # fmt: skip


def test_everything_validated_is_published_and_the_build_schemas_are_left_empty(built):
    result = publish(built)
    assert sorted(result.published) == [
        "audit.cases", "marts.fund", "marts.fund_view", "marts.fund_view_2", "marts.new_mart",
        "marts.rates",
    ]  # fmt: skip
    assert result.held_back == {}
    for relation in ("marts.rates", "marts.fund", "marts.fund_view_2", "audit.cases"):
        assert values(built, relation) == [2], relation
    assert relations(built, "marts_build") == relations(built, "audit_build") == set()
    # the published views read the published tables, not the (now empty) build schema
    built.execute("insert into marts.fund values (3)")
    assert values(built, "marts.fund_view_2") == [2, 3]


def test_a_held_back_mart_keeps_its_last_good_copy_and_so_do_views_over_it(built):
    result = publish(built, {"marts.fund": "suite marts.fund failed: deaths > injuries"})
    assert sorted(result.published) == ["audit.cases", "marts.new_mart", "marts.rates"]
    assert set(result.held_back) == {"marts.fund", "marts.fund_view", "marts.fund_view_2"}
    assert result.held_back["marts.fund_view_2"] == "reads marts.fund_view"
    assert values(built, "marts.fund") == values(built, "marts.fund_view") == [1]
    assert values(built, "marts.rates") == [2]
    assert relations(built, "marts_build") == {"fund", "fund_view", "fund_view_2"}


def test_a_published_table_keeps_its_comment_and_grants(built, fresh_url):
    publish(built)
    comment = built.execute("select obj_description('marts.rates'::regclass)").fetchone()[0]
    assert comment == "工伤发生率"
    with psycopg.connect(fresh_url) as reader:
        reader.execute("set role wc_test_reader")
        assert values(reader, "marts.rates") == [2]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("select * from marts.fund")


def test_nothing_is_published_when_a_published_table_cannot_be_replaced(built):
    # A view someone made by hand over the published table: dropping it would break theirs.
    built.execute("create view public.my_report as select v from marts.rates")
    with pytest.raises(PublishError, match=r"public\.my_report read them"):
        publish(built)
    assert values(built, "marts.rates") == values(built, "marts.fund") == [1]
    assert values(built, "public.my_report") == [1]
    assert "rates" in relations(built, "marts_build")
    assert "cases" in relations(built, "audit_build")


@pytest.mark.e2e
def test_the_main_job_validated_its_build_before_publishing_it(first_run):
    url, *_ = first_run
    with psycopg.connect(url) as conn:
        left = conn.execute(
            "select count(*) from information_schema.tables"
            " where table_schema in ('marts_build', 'audit_build')"
        ).fetchone()[0]
        validated = {
            t for (t,) in conn.execute("select validated_table from audit.quality_results")
        }
    assert left == 0
    assert {"marts_build.fct_injury_rates", "audit_build.fct_anomaly_cases"} <= validated
    assert not any(t.startswith(("marts.", "audit.")) for t in validated)


@pytest.mark.e2e
def test_a_mart_failing_a_critical_suite_is_held_back(first_run, monkeypatch, tmp_path):
    from workcomp.orchestration import tasks

    url, *_ = first_run
    monkeypatch.setenv("WORKCOMP_DATABASE_URL", url)
    monkeypatch.setenv("WORKCOMP_GX_DIR", str(tmp_path / "gx"))
    totals = "select count(*), sum(work_deaths), sum(recognised_injuries) from {}"
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute(totals.format("marts.fct_injury_rates")).fetchone()
        # A build where one county-year has more deaths than recognised injuries, and a
        # good build of another mart.
        conn.execute("""
            create schema if not exists marts_build;
            create table marts_build.fct_injury_rates as select * from marts.fct_injury_rates;
            update marts_build.fct_injury_rates set work_deaths = recognised_injuries + 1
            where ctid = (select min(ctid) from marts_build.fct_injury_rates);
            create table marts_build.fct_training_coverage as
                select * from marts.fct_training_coverage;
        """)
    try:
        held_back = tasks.validate_build()
        assert list(held_back) == ["marts.fct_injury_rates"]
        assert "Deaths and disease cases" in held_back["marts.fct_injury_rates"]
        published = tasks.publish(held_back)
        assert published["published"] == ["marts.fct_training_coverage"]
        with pytest.raises(tasks.DataQualityError, match=r"marts\.fct_injury_rates"):
            tasks.fail_if_held_back(held_back)
        with psycopg.connect(url) as conn:
            assert conn.execute(totals.format("marts.fct_injury_rates")).fetchone() == before
            broken = "select count(*) from {} where work_deaths > recognised_injuries"
            assert conn.execute(broken.format("marts_build.fct_injury_rates")).fetchone() == (1,)
            assert conn.execute(broken.format("marts.fct_injury_rates")).fetchone() == (0,)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop table if exists marts_build.fct_injury_rates")
