import datetime as dt
import random
import shutil

import psycopg
import pytest
from stdnum.cn import uscc

from workcomp.codes import corrupt_check_digit, credit_code
from workcomp.warehouse.connection import dsn_parts
from workcomp.warehouse.embedded import EmbeddedPostgres


def test_dsn_parts_reads_any_postgres_url():
    assert dsn_parts("postgresql://bi:s%40cret@db.example:6543/wh") == {
        "host": "db.example",
        "port": 6543,
        "user": "bi",
        "password": "s@cret",
        "dbname": "wh",
    }
    with pytest.raises(ValueError):
        dsn_parts("mysql://x@y/z")


def test_embedded_server_is_reused_stopped_and_restarted(tmp_path):
    server = EmbeddedPostgres(root=tmp_path / "pg")
    url = server.start()
    assert server.start() == url  # reused, same port
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_setting('listen_addresses')").fetchone() == (
            "127.0.0.1",
        )
        conn.execute("create table kept (x int)")
        conn.execute("insert into kept values (42)")
        conn.commit()
    assert server.stop() is True
    assert server.is_running() is False
    assert server.stop() is False
    try:
        with psycopg.connect(server.start()) as conn:  # data survives the restart
            assert conn.execute("select x from kept").fetchone() == (42,)
    finally:
        server.stop()
        if server.home != server.root:  # root could not be reached by the server's user
            shutil.rmtree(server.home, ignore_errors=True)


def test_sql_check_digit_agrees_with_stdnum(conn):
    rng = random.Random(9)
    codes = [credit_code(rng, rng.choice(["150802", "350400", "320400"])) for _ in range(300)]
    codes += [corrupt_check_digit(c) for c in codes[:100]]
    codes += ["", "91150802", "91150802MA0N0000041", "ABCDEFGH12345678XY", "91150802-A0N00000"]
    query = "select c, util.uscc_is_valid(c) from unnest(%s::text[]) as c"
    got = dict(conn.execute(query, (codes,)).fetchall())
    assert got == {c: uscc.is_valid(c) for c in codes}
    assert sum(got.values()) == 300


def test_sql_check_digits_are_inlined_and_pass_nulls_through(conn):
    # A raw suite asks `where not util.ric_is_valid(col)`: a null must stay null (the not-null
    # expectation reports it), and the planner must inline the function's expression, or a
    # month's 1.8M rows cost a function call each (several times slower, measured).
    for function in ("util.uscc_is_valid", "util.ric_is_valid"):
        assert conn.execute(f"select {function}(null)").fetchone() == (None,)
        plan = conn.execute(
            f"explain verbose select c from unnest(array['x']) as c where not {function}(c)"
        ).fetchall()
        assert function not in " ".join(row[0] for row in plan)


def test_sql_resident_id_check_digit_agrees_with_stdnum(conn):
    from stdnum.cn import ric

    from workcomp.generator.world import resident_id

    rng = random.Random(11)
    ids = [
        resident_id(rng, dt.date(rng.randint(1955, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                    rng.choice("男女"))
        for _ in range(300)
    ]  # fmt: skip
    broken = [i[:17] + ("0" if i[17] != "0" else "1") for i in ids[:100]]
    odd = ["", "15080219900101001", "1508021990010100123", "ABCDEFGHIJKLMNOPQR"]
    codes = ids + broken + odd
    got = dict(conn.execute("select c, util.ric_is_valid(c) from unnest(%s::text[]) as c",
                            (codes,)).fetchall())  # fmt: skip
    # The SQL checks format and check digit; stdnum's is_valid also looks the birth place up.
    want = {
        c: len(c) == 18 and c[:17].isdigit() and ric.calc_check_digit(c[:17] + "0") == c[17]
        for c in codes
    }
    assert got == want
    assert sum(got.values()) == 300
