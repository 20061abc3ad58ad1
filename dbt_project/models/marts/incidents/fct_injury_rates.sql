-- Recognised work injuries per 1,000 average insured workers (工伤发生率, ‰) by year, county
-- and GB/T 4754 division, against the 2020 baseline and the −20%-by-2025 path
-- (ref_injury_rate_targets). Injuries count by accident year under the applying employer.
with headcount as (
    select * from {{ ref('int_insured_headcount_monthly') }}
),

employers as (
    select * from {{ ref('int_employers') }}
),

injuries as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised
),

deaths as (
    select distinct case_id
    from {{ ref('stg_social_insurance__benefit_payments') }}
    where item = '一次性工亡补助金'
),

target as (
    select * from {{ ref('ref_injury_rate_targets') }}
),

insured as (
    select
        extract(year from headcount.headcount_month)::integer as rate_year,
        employers.region_code,
        employers.industry_division,
        sum(headcount.insured_headcount) / 12.0 as avg_insured_workers
    from headcount
    inner join employers on employers.credit_code = headcount.credit_code
    group by 1, 2, 3
),

cases as (
    select
        extract(year from injuries.accident_date)::integer as rate_year,
        employers.region_code,
        employers.industry_division,
        count(*) as recognised_injuries,
        count(*) filter (where injuries.is_occupational_disease) as occupational_disease_cases,
        count(deaths.case_id) as work_deaths
    from injuries
    inner join employers on employers.credit_code = injuries.credit_code
    left join deaths on deaths.case_id = injuries.case_id
    group by 1, 2, 3
),

joined as (
    select
        coalesce(insured.rate_year, cases.rate_year) as rate_year,
        coalesce(insured.region_code, cases.region_code) as region_code,
        coalesce(insured.industry_division, cases.industry_division) as industry_division,
        coalesce(insured.avg_insured_workers, 0) as avg_insured_workers,
        coalesce(cases.recognised_injuries, 0) as recognised_injuries,
        coalesce(cases.occupational_disease_cases, 0) as occupational_disease_cases,
        coalesce(cases.work_deaths, 0) as work_deaths
    from insured
    full outer join cases
        on cases.rate_year = insured.rate_year
        and cases.region_code = insured.region_code
        and cases.industry_division = insured.industry_division
),

rated as (
    select
        *,
        recognised_injuries * 1000.0 / nullif(avg_insured_workers, 0) as injury_rate
    from joined
),

with_baseline as (
    select
        rated.*,
        baseline.injury_rate as baseline_rate
    from rated
    cross join target
    left join rated as baseline
        on baseline.rate_year = target.baseline_year
        and baseline.region_code = rated.region_code
        and baseline.industry_division = rated.industry_division
)

select
    with_baseline.rate_year::integer as rate_year,
    with_baseline.region_code::text as region_code,
    with_baseline.industry_division::text as industry_division,
    round(with_baseline.avg_insured_workers, 2)::numeric(12, 2) as avg_insured_workers,
    with_baseline.recognised_injuries::integer as recognised_injuries,
    with_baseline.occupational_disease_cases::integer as occupational_disease_cases,
    with_baseline.work_deaths::integer as work_deaths,
    round(with_baseline.injury_rate, 4)::numeric(12, 4) as injury_rate_per_mille,
    round(with_baseline.baseline_rate, 4)::numeric(12, 4) as baseline_rate_per_mille,
    round(
        with_baseline.injury_rate / nullif(with_baseline.baseline_rate, 0) - 1, 4
    )::numeric(9, 4) as change_vs_baseline,
    round(
        with_baseline.baseline_rate * (1 - target.target_reduction * least(
            greatest(with_baseline.rate_year - target.baseline_year, 0)::numeric
            / (target.target_year - target.baseline_year), 1
        )), 4
    )::numeric(12, 4) as target_rate_per_mille
from with_baseline
cross join target
