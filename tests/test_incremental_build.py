"""Contributions are built by month: a run rebuilds the months that new or re-delivered batches
touch, and the result equals a build from scratch.

The expected tables are worked out here from the delivered rows (the latest delivery of each
person, employer and month wins), independently of the models."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from stdnum.cn import ric

from conftest import run_dbt
from workcomp.contracts import get_contract
from workcomp.ingest.loader import load_batch

CONTRIBUTIONS = get_contract("social_insurance", "contributions")
HEADER = "公民身份号码,单位统一社会信用代码,费款所属期,个人缴费基数,费率,应缴金额,实缴金额,到账日期"
EMPLOYERS = ("91150826340814852A", "91150822929782080W", "91150821614427033D")
MODELS = ("stg_social_insurance__contributions", "int_employer_contributions_monthly")


def resident_id(n: int) -> str:
    body = f"15080219850101{n:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the check place too


def row(person: int, employer: int, period: str, base: int) -> tuple:
    """One delivered row: (resident id, credit code, period) -> (base, amount due and paid)."""
    due = (Decimal(base) * Decimal("0.0228")).quantize(Decimal("0.01"))
    return (resident_id(person), EMPLOYERS[employer], period), (Decimal(base), due)


class Region:
    """Delivers contribution batches and keeps the expected state: the latest load wins."""

    def __init__(self, conn, landing: Path):
        self.conn, self.landing = conn, landing
        self.deliveries: list[tuple[str, list]] = []  # in load order
        self.latest: dict[tuple, tuple] = {}

    def deliver(self, name: str, rows: list[tuple]) -> None:
        batch = self.landing / name
        batch.mkdir(parents=True, exist_ok=True)
        lines = [HEADER] + [
            f"{rid},{code},{period.replace('-', '')},{base},0.0228,{due},{due},{period}-15"
            for (rid, code, period), (base, due) in rows
        ]
        (batch / "contributions.csv").write_text("\n".join(lines) + "\n", "utf-8")
        (batch / "manifest.json").write_text(json.dumps({"files": [{"file": "contributions.csv"}]}))
        assert load_batch(self.conn, CONTRIBUTIONS, batch).status == "loaded"
        batch_id = f"social_insurance/contributions/{name}"
        # A re-delivery replaces the batch's earlier rows; keys it no longer holds fall back to
        # the latest other delivery, so the expected state is replayed from every delivery.
        self.deliveries = [d for d in self.deliveries if d[0] != batch_id]
        self.deliveries.append((batch_id, rows))
        self.latest = {}
        for delivered_id, delivered in self.deliveries:
            for key, (base, due) in delivered:
                self.latest[key] = (base, due, delivered_id)

    def expected_staging(self) -> list[tuple]:
        rows = [
            (rid, code, f"{period}-01", base, due, batch_id)
            for (rid, code, period), (base, due, batch_id) in self.latest.items()
        ]
        return sorted(rows)

    def expected_monthly(self) -> list[tuple]:
        months: dict[tuple, list] = {}
        for (rid, code, period), (base, due, _) in self.latest.items():
            months.setdefault((code, f"{period}-01"), []).append((rid, base, due))
        return sorted(
            (code, month, len({r for r, _, _ in rows}), sum(b for _, b, _ in rows),
             sum(d for _, _, d in rows))
            for (code, month), rows in months.items()
        )  # fmt: skip


STAGING = """
    select s.person_key, s.credit_code, s.period_month::text, s.contribution_base,
           s.amount_paid, s.batch_id
    from staging.stg_social_insurance__contributions as s
"""
MONTHLY = """
    select credit_code, period_month::text, contributors, total_contribution_base, amount_paid
    from intermediate.int_employer_contributions_monthly order by 1, 2
"""
BUILT = """
    select period_month::text, built_at from staging.incremental_months
    where model = %s order by 1
"""


def staging(conn, region: Region) -> tuple[list, list]:
    """Staging as built, and as expected (person keys worked out by util.person_key)."""
    built = sorted(conn.execute(STAGING).fetchall())
    keys = dict(
        conn.execute(
            "select id, util.person_key(id) from unnest(%s::text[]) as id",
            [sorted({rid for rid, *_ in region.expected_staging()})],
        ).fetchall()
    )
    expected = sorted(
        (keys[rid], code, month, base, paid, batch_id)
        for rid, code, month, base, paid, batch_id in region.expected_staging()
    )
    return built, expected


def build(url: str, *extra: str) -> None:
    run_dbt(url, "build", "--quiet", "--select", *MODELS, *extra)


def rebuilt_months(conn, before: dict, model: str = MODELS[0]) -> set[str]:
    now = dict(conn.execute(BUILT, [model]).fetchall())
    return {month for month, at in now.items() if before.get(month) != at}


def test_months_rebuild_as_batches_arrive_and_equal_a_full_build(conn, fresh_url, tmp_path):
    region = Region(conn, tmp_path / "social_insurance" / "contributions")
    january = [row(p, p % 3, "2024-01", 4000 + 100 * p) for p in range(1, 7)]
    february = [row(p, p % 3, "2024-02", 4000 + 100 * p) for p in range(1, 7)]
    arrears = row(7, 0, "2024-01", 3900)  # January paid late, in February's file
    region.deliver("2024-01", january)
    region.deliver("2024-02", [*february, arrears])
    build(fresh_url)
    assert staging(conn, region)[0] == staging(conn, region)[1]
    assert conn.execute(MONTHLY).fetchall() == region.expected_monthly()
    assert len(region.expected_staging()) == 13

    # March arrives: only March is rebuilt, in both models.
    before = dict(conn.execute(BUILT, [MODELS[0]]).fetchall())
    before_monthly = dict(conn.execute(BUILT, [MODELS[1]]).fetchall())
    region.deliver("2024-03", [row(p, p % 3, "2024-03", 4000 + 100 * p) for p in range(1, 6)])
    build(fresh_url)
    assert rebuilt_months(conn, before) == {"2024-03-01"}
    assert rebuilt_months(conn, before_monthly, MODELS[1]) == {"2024-03-01"}
    built, expected = staging(conn, region)
    assert built == expected and len(built) == 18
    assert conn.execute(MONTHLY).fetchall() == region.expected_monthly()

    # February is delivered again: one base corrected, person 6 and the arrears row gone.
    # January is rebuilt too, since the earlier February file held a January row.
    before = dict(conn.execute(BUILT, [MODELS[0]]).fetchall())
    corrected = [row(1, 1, "2024-02", 9100), *february[1:5]]
    region.deliver("2024-02", corrected)
    build(fresh_url)
    assert rebuilt_months(conn, before) == {"2024-01-01", "2024-02-01"}
    built, expected = staging(conn, region)
    assert built == expected and len(built) == 16
    assert conn.execute(MONTHLY).fetchall() == region.expected_monthly()

    # A correction batch supersedes one March row; then March is delivered again and, being
    # the latest load, wins back that row. Nothing but March is rebuilt either time.
    before = dict(conn.execute(BUILT, [MODELS[0]]).fetchall())
    region.deliver("2024-03-fix", [row(2, 2, "2024-03", 5555)])
    build(fresh_url)
    assert rebuilt_months(conn, before) == {"2024-03-01"}
    assert staging(conn, region)[0] == staging(conn, region)[1]
    region.deliver("2024-03", [row(p, p % 3, "2024-03", 4100 + 100 * p) for p in range(1, 6)])
    build(fresh_url)
    assert staging(conn, region)[0] == staging(conn, region)[1]
    assert conn.execute(MONTHLY).fetchall() == region.expected_monthly()

    # A build with nothing new rebuilds nothing.
    before = dict(conn.execute(BUILT, [MODELS[0]]).fetchall())
    build(fresh_url)
    assert rebuilt_months(conn, before) == set()

    # And every month built along the way equals a build from scratch.
    incremental = (sorted(conn.execute(STAGING).fetchall()), conn.execute(MONTHLY).fetchall())
    build(fresh_url, "--full-refresh")
    assert (sorted(conn.execute(STAGING).fetchall()), conn.execute(MONTHLY).fetchall()) == (
        incremental
    )


def test_the_build_checks_catch_a_duplicate_in_a_rebuilt_month(conn, fresh_url, tmp_path):
    """The data tests read only the months of the last build: a clash there still fails it."""
    region = Region(conn, tmp_path / "social_insurance" / "contributions")
    region.deliver("2024-01", [row(p, 0, "2024-01", 4000) for p in range(1, 4)])
    build(fresh_url)
    conn.execute(
        "insert into staging.stg_social_insurance__contributions"
        " select * from staging.stg_social_insurance__contributions limit 1"
    )
    done = None
    try:
        run_dbt(fresh_url, "test", "--quiet", "--select", MODELS[0])
    except AssertionError as failure:
        done = str(failure)
    assert done is not None and "unique_combination" in done
