"""Short summaries of each mart family, printed at the end of the main job.

Every figure is read from the marts; nothing is recomputed here.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

# Wide enough for the tables when output goes to a file or CI log.
console = Console(width=None if sys.stdout.isatty() else 132)


def coverage_rows(url: str) -> list[tuple]:
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        return conn.execute(
            """
            select coverage_year, region_code, region_name, workers_required, workers_insured,
                   coverage_rate, target_rate, gap_workers, is_on_track
            from marts.fct_key_industry_coverage_by_county
            order by coverage_year, region_code
            """
        ).fetchall()


def print_coverage(url: str) -> None:
    table = Table(
        title="Key-industry coverage by county vs target (尘肺病重点行业参保率 · 各旗县区)"
    )
    headers = ("Year\n年度", "County\n旗县区", "Code\n区划代码", "Workers\n应参保人数",
               "Insured\n已参保人数", "Rate\n参保率", "Target\n目标", "Gap\n差额人数",
               "On track\n是否达标")  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for year, code, name, required, insured, rate, target, gap, ok in coverage_rows(url):
        table.add_row(
            str(year), name, code, f"{required:,}", f"{insured:,}",
            "—" if rate is None else f"{rate:.1%}", f"{target:.0%}", f"{gap:,}",
            "[green]yes 是[/]" if ok else "[red]no 否[/]",
        )  # fmt: skip
    console.print(table)


def print_rates_and_fund(url: str) -> None:
    """Injury rates, high-rate industries and positions, and the fund per year."""
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        overall = conn.execute(
            """
            select rate_year, sum(recognised_injuries),
                   round(sum(recognised_injuries) * 1000 / nullif(sum(avg_insured_workers), 0), 2)
            from marts.fct_injury_rates group by rate_year order by rate_year
            """
        ).fetchall()
        top = conn.execute(
            """
            select r.industry_division, d.division_name, round(sum(r.recognised_injuries) * 1000
                   / nullif(sum(r.avg_insured_workers), 0), 2) as rate, sum(r.recognised_injuries)
            from marts.fct_injury_rates r
            left join reference.ref_industry_divisions d on d.division_code = r.industry_division
            group by 1, 2 having sum(r.avg_insured_workers) >= 100
            order by rate desc nulls last limit 5
            """
        ).fetchall()
        positions = conn.execute(
            """
            select p.injury_year, p.industry_division, d.division_name, p.position,
                   p.rate_per_1000_exposed, p.recognised_injuries, p.exposed_workers
            from marts.fct_high_risk_positions p
            left join reference.ref_industry_divisions d on d.division_code = p.industry_division
            where p.rate_per_1000_exposed is not null
              and p.injury_year = (select max(injury_year) - 1 from marts.fct_high_risk_positions)
            order by p.rate_per_1000_exposed desc limit 5
            """
        ).fetchall()
        fund = conn.execute(
            """
            select fund_year, contribution_income, benefit_expenditure, prevention_fee_ratio,
                   prevention_fee_cap, is_over_cap, is_under_floor, training_share,
                   months_not_reconciled
            from marts.fct_fund_yearly order by fund_year
            """
        ).fetchall()
    table = Table(title="Work-injury rate (工伤发生率 ‰, recognised injuries per 1,000 insured)")
    for header in ("Year 年度", "Injuries 认定工伤", "Rate ‰ 发生率"):
        table.add_column(header, justify="right")
    for year, injuries, rate in overall:
        table.add_row(str(year), f"{injuries:,}", "—" if rate is None else f"{rate}")
    console.print(table)
    table = Table(title="Highest-rate industries 2020–2025 (高发行业)")
    for header in ("Division 大类", "Name 名称", "Rate ‰", "Injuries"):
        table.add_column(header)
    for division, name, rate, injuries in top:
        table.add_row(division, name or "", f"{rate}", f"{injuries:,}")
    console.print(table)
    table = Table(title="Top five high-risk positions, last full year (高发岗位)")
    for header in (
        "Year 年度",
        "Industry 行业",
        "Position 岗位",
        "Rate ‰ 千人发生率",
        "Injuries",
        "Exposed",
    ):
        table.add_column(header)
    for year, _division, name, position, rate, injuries, exposed in positions:
        table.add_row(str(year), name or "", position, f"{rate}", str(injuries), f"{exposed:,}")
    console.print(table)
    table = Table(title="Fund and prevention fee (基金收支与工伤预防费)")
    headers = ("Year 年度", "Contributions 征缴收入", "Benefits 待遇支出", "Prevention 预防费占比",
               "Cap 上限", "Training 培训占比", "Flags 提示")  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right")
    for year, income, benefits, ratio, cap, over, under, training, breaks in fund:
        checks = (("over cap 超上限", over), ("under floor 低于下限", under),
                  (f"{breaks} month(s) unbalanced 不平衡", breaks))  # fmt: skip
        flags = [flag for flag, on in checks if on]
        table.add_row(
            str(year), f"{income:,.0f}", f"{benefits:,.0f}",
            "—" if ratio is None else f"{ratio:.2%}", f"{cap:.0%}",
            "—" if training is None else f"{training:.0%}", ", ".join(flags),
        )  # fmt: skip
    console.print(table)


def print_groups_tiers_and_training(url: str) -> None:
    """High-risk groups, next year's rate tiers, project payment breaches, key-position training."""
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        groups = conn.execute(
            """
            select rate_year, sex, age_band, injury_rate_per_mille, recognised_injuries,
                   avg_insured_workers
            from marts.fct_injury_rates_by_group
            where rate_year = (select max(rate_year) - 1 from marts.fct_injury_rates_by_group)
            order by rank_in_year limit 3
            """
        ).fetchall()
        tiers = conn.execute(
            """
            select applies_to_year, float_factor, count(*), round(avg(payout_ratio), 4)
            from marts.fct_employer_rate_float
            where is_rated
              and assessment_year = (select max(assessment_year) from marts.fct_employer_rate_float)
            group by 1, 2 order by 2 desc
            """
        ).fetchall()
        projects = conn.execute(
            """
            select count(*), count(*) filter (where not is_prepayment_in_range),
                   count(*) filter (where is_balance_before_acceptance),
                   count(*) filter (where is_overpaid)
            from marts.fct_prevention_project_payments
            """
        ).fetchone()
        training = conn.execute(
            """
            select coverage_year, position_category, sum(enterprises_trained),
                   sum(key_enterprises),
                   round(sum(enterprises_trained)::numeric / nullif(sum(key_enterprises), 0), 4)
            from marts.fct_key_position_training
            where coverage_year = (select max(coverage_year) from marts.fct_key_position_training)
            group by 1, 2 order by 2
            """
        ).fetchall()
    table = Table(title="High-risk groups, last full year (高发人群: 性别 × 年龄段)")
    for header in ("Year 年度", "Sex 性别", "Age 年龄段", "Rate ‰ 发生率", "Injuries", "Insured"):
        table.add_column(header, justify="right")
    for year, sex, band, rate, injuries, insured in groups:
        table.add_row(str(year), sex, band, f"{rate:.2f}", str(injuries), f"{insured:,.0f}")
    console.print(table)
    table = Table(title="Floating contribution rate tiers (费率浮动, 按支缴率)")
    for header in ("Applies 执行年度", "Factor 浮动比例", "Employers 单位数", "Avg 支缴率"):
        table.add_column(header, justify="right")
    for year, factor, employers, ratio in tiers:
        table.add_row(str(year), f"{factor:.0%}", f"{employers:,}", f"{ratio:.2%}")
    console.print(table)
    total, prepaid, early, over = projects
    console.print(
        f"Prevention projects 工伤预防项目: {total} · prepayment outside 30–70% 预付比例不合规 "
        f"{prepaid} · balance before acceptance 验收前付尾款 {early} · overpaid 超合同 {over}"
    )
    table = Table(title="Key-position training, enterprises covered (重点岗位人员培训覆盖)")
    for header in (
        "Year 年度",
        "Category 人员类别",
        "Trained 已培训",
        "Enterprises 企业",
        "Coverage",
    ):
        table.add_column(header, justify="right")
    for year, category, trained, enterprises, coverage in training:
        table.add_row(
            str(year), category, f"{trained:,}", f"{enterprises:,}",
            "—" if coverage is None else f"{coverage:.1%}",
        )  # fmt: skip
    console.print(table)


def print_mart_summaries(url: str) -> None:
    print_rates_and_fund(url)
    print_groups_tiers_and_training(url)


def print_anomaly_counts(url: str) -> None:
    """Cases per audit rule, open and reviewed."""
    from workcomp.warehouse.connection import connect

    with connect(url) as conn:
        rows = conn.execute(
            """
            select r.rule_code, r.rule_name, r.severity, count(c.case_key),
                   count(c.case_key) filter (where c.review_status = 'open')
            from reference.ref_anomaly_rules r
            left join audit.fct_anomaly_cases c on c.rule_code = r.rule_code
            group by 1, 2, 3 order by count(c.case_key) desc, 1
            """
        ).fetchall()
    table = Table(title="Audit anomaly cases by rule (稽核疑点)")
    for header in ("Rule 规则", "Code 代码", "Severity 等级", "Cases 疑点", "Open 待核查"):
        table.add_column(header, justify="right" if header[0] in "CO" else "left")
    for code, name, severity, cases, still_open in rows:
        table.add_row(name, code, severity, f"{cases:,}", f"{still_open:,}")
    console.print(table)
