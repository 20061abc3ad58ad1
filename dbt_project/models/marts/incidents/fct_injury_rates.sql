-- Recognised work injuries per 1,000 average insured workers (工伤发生率, ‰) by year, county
-- and GB/T 4754 division, against the 2020 baseline and the −20%-by-2025 path
-- (ref_injury_rate_targets). Injuries count by accident year under the applying employer.
-- Deaths, serious injuries (重伤, from the emergency-management accident reports) and
-- occupational-disease cases get their own ‰ rates (GB 6441 千人死亡率, 千人重伤率). No feed
-- reports hours worked, so the per-million-hours rate (百万工时伤害率) is an estimate from
-- insured person-months × the statutory monthly working hours (var standard_monthly_work_hours).
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

accident_key_divisions as (
    select industry_category, unnest(string_to_array(gb4754_divisions, ' ')) as division_code
    from {{ ref('ref_accident_key_industries') }}
),

serious as (
    select
        extract(year from accidents.occurred_at)::integer as rate_year,
        coalesce(employers.region_code, accidents.region_code) as region_code,
        coalesce(employers.industry_division, substr(accidents.industry_code, 1, 2))
            as industry_division,
        sum(accidents.serious_injuries) as serious_injuries
    from {{ ref('stg_emergency_management__safety_accidents') }} as accidents
    left join employers on employers.credit_code = accidents.credit_code
    group by 1, 2, 3
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

with_serious as (
    select
        coalesce(joined.rate_year, serious.rate_year) as rate_year,
        coalesce(joined.region_code, serious.region_code) as region_code,
        coalesce(joined.industry_division, serious.industry_division) as industry_division,
        coalesce(joined.avg_insured_workers, 0) as avg_insured_workers,
        coalesce(joined.recognised_injuries, 0) as recognised_injuries,
        coalesce(joined.occupational_disease_cases, 0) as occupational_disease_cases,
        coalesce(joined.work_deaths, 0) as work_deaths,
        coalesce(serious.serious_injuries, 0) as serious_injuries
    from joined
    full outer join serious
        on serious.rate_year = joined.rate_year
        and serious.region_code = joined.region_code
        and serious.industry_division = joined.industry_division
),

rated as (
    select
        *,
        recognised_injuries * 1000.0 / nullif(avg_insured_workers, 0) as injury_rate,
        avg_insured_workers * 12 * {{ var('standard_monthly_work_hours') }} as estimated_hours
    from with_serious
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
    with_baseline.serious_injuries::integer as serious_injuries,
    key_industry.industry_category::text as accident_key_industry,
    round(with_baseline.injury_rate, 4)::numeric(12, 4) as injury_rate_per_mille,
    round(with_baseline.work_deaths * 1000.0 / nullif(with_baseline.avg_insured_workers, 0), 4)
        ::numeric(12, 4) as death_rate_per_mille,
    round(with_baseline.serious_injuries * 1000.0
        / nullif(with_baseline.avg_insured_workers, 0), 4)::numeric(12, 4)
        as serious_injury_rate_per_mille,
    round(with_baseline.occupational_disease_cases * 1000.0
        / nullif(with_baseline.avg_insured_workers, 0), 4)::numeric(12, 4)
        as occupational_disease_rate_per_mille,
    round(with_baseline.estimated_hours)::bigint as estimated_hours_worked,
    round(with_baseline.recognised_injuries * 1000000.0
        / nullif(with_baseline.estimated_hours, 0), 4)::numeric(12, 4)
        as injuries_per_million_hours_est,
    round(with_baseline.baseline_rate, 4)::numeric(12, 4) as baseline_rate_per_mille,
    round(
        with_baseline.injury_rate / nullif(with_baseline.baseline_rate, 0) - 1, 4
    )::numeric(9, 4) as change_vs_baseline,
    round(
        {{ target_path_rate('with_baseline.baseline_rate', 'with_baseline.rate_year') }}, 4
    )::numeric(12, 4) as target_rate_per_mille
from with_baseline
cross join target
left join accident_key_divisions as key_industry
    on key_industry.division_code = with_baseline.industry_division
