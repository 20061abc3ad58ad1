"""What the monthly bulletin shows, read from the marts as they are (no figure is computed
here: every rate, total and rank is a mart column)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from workcomp.reporting.forms import Region, region


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


@dataclass
class Section:
    rows: list[dict]
    as_of: dt.date
    extra: dict = field(default_factory=dict)


@dataclass
class BulletinData:
    place: Region
    pooling_region: str
    is_county: bool
    month: dt.date
    coverage: Section
    rates: Section
    positions: Section
    groups: Section
    fund: Section
    anomalies: Section


def _dicts(cursor) -> list[dict]:
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def latest_month(conn) -> dt.date | None:
    """The last month the coverage mart holds: the default bulletin month."""
    return conn.execute(
        "select max(coverage_month) from marts.fct_key_industry_coverage_county_monthly"
    ).fetchone()[0]


def load(conn, region_code: str, month: dt.date, pooling_region: str) -> BulletinData:
    place = region(conn, region_code)
    is_county = region_code != pooling_region
    month = month.replace(day=1)
    year = month.year
    end = month_end(month)

    coverage = _dicts(
        conn.execute(
            """
        select region_code, region_name, region_level, workers_required, workers_insured,
               coverage_rate, target_rate, gap_workers, is_on_track
        from marts.fct_key_industry_coverage_county_monthly
        where coverage_month = %(month)s
          and (region_code = %(region)s or (not %(county)s and parent_code = %(region)s))
        order by region_level = 'pooling_region', region_code
        """,
            {"month": month, "region": region_code, "county": is_county},
        )
    )

    rates = _dicts(
        conn.execute(
            """
        select rate_year, accident_key_industry, avg_insured_workers, recognised_injuries,
               injury_rate_per_mille, baseline_rate_per_mille, target_rate_per_mille,
               change_vs_baseline, is_on_path
        from marts.fct_key_industry_injury_rates
        where region_code = %s and rate_year <= %s
        order by accident_key_industry, rate_year
        """,
            [region_code, year],
        )
    )

    positions = _dicts(
        conn.execute(
            """
        select industry_division, position, exposed_workers, recognised_injuries,
               rate_per_1000_exposed, rank_in_division
        from marts.fct_high_risk_positions
        where injury_year = %s and recognised_injuries > 0
        order by rank_in_division is null, rate_per_1000_exposed desc nulls last,
                 recognised_injuries desc, industry_division, position
        limit 10
        """,
            [year],
        )
    )

    groups = _dicts(
        conn.execute(
            """
        select sex, age_band, avg_insured_workers, recognised_injuries, injury_rate_per_mille,
               rank_in_year
        from marts.fct_injury_rates_by_group
        where rate_year = %s and rank_in_year <= 5 and recognised_injuries > 0
        order by rank_in_year, sex, age_band
        """,
            [year],
        )
    )

    fund_months = _dicts(
        conn.execute(
            """
        select ledger_month, total_income, total_expenditure, contribution_income,
               benefit_expenditure, prevention_expenditure, closing_balance
        from marts.fct_fund_monthly
        where region_code = %s and ledger_month between %s and %s
        order by ledger_month
        """,
            [pooling_region, dt.date(year, 1, 1), month],
        )
    )
    fund_year = _dicts(
        conn.execute(
            """
        select fund_year, prevention_fee_ratio, prevention_fee_cap, prevention_fee_floor,
               is_over_cap, is_under_floor, training_share, is_training_share_met
        from marts.fct_fund_yearly
        where region_code = %s and fund_year = %s
        """,
            [pooling_region, year],
        )
    )

    first_trend_month = dt.date(year - 1, month.month, 1)
    anomalies = _dicts(
        conn.execute(
            """
        select period_month, rule_code, rule_name, severity, cases, open_cases
        from audit.fct_anomaly_counts_monthly
        where region_code = %s and period_month between %s and %s
        order by rule_code, period_month
        """,
            [region_code, first_trend_month, month],
        )
    )

    return BulletinData(
        place=place,
        pooling_region=pooling_region,
        is_county=is_county,
        month=month,
        coverage=Section(coverage, end),
        rates=Section(rates, end),
        positions=Section(positions, end),
        groups=Section(groups, end),
        fund=Section(fund_months, end, {"year": fund_year[0] if fund_year else None}),
        anomalies=Section(anomalies, end, {"first_month": first_trend_month}),
    )
