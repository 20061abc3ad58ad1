-- Monthly coverage progress (月度参保进度) of pneumoconiosis key-industry workers per county and
-- key industry: each month, the enterprises on that year's health roster and their insured
-- headcount from the enrolment spans, capped at the roster headcount, against the year's
-- target. The yearly marts use the year-end registry snapshot; this one shows the path there.
with roster as (
    select * from {{ ref('stg_health__dust_enterprises') }}
),

headcount as (
    select * from {{ ref('int_insured_headcount_monthly') }}
),

months as (
    select distinct headcount_month from headcount
),

enterprise_months as (
    select
        months.headcount_month as coverage_month,
        roster.region_code,
        roster.industry_category,
        roster.credit_code,
        roster.worker_count,
        least(coalesce(headcount.insured_headcount, 0), roster.worker_count) as insured
    from roster
    inner join months
        on extract(year from months.headcount_month) = roster.roster_year
    left join headcount
        on headcount.credit_code = roster.credit_code
        and headcount.headcount_month = months.headcount_month
),

aggregated as (
    select
        coverage_month,
        region_code,
        industry_category,
        count(*) as enterprise_count,
        count(*) filter (where insured = 0) as uninsured_enterprise_count,
        sum(worker_count) as workers_required,
        sum(insured) as workers_insured
    from enterprise_months
    group by 1, 2, 3
)

select
    aggregated.coverage_month::date as coverage_month,
    extract(year from aggregated.coverage_month)::integer as coverage_year,
    aggregated.region_code::text as region_code,
    aggregated.industry_category::text as industry_category,
    aggregated.enterprise_count::integer as enterprise_count,
    aggregated.uninsured_enterprise_count::integer as uninsured_enterprise_count,
    aggregated.workers_required::integer as workers_required,
    aggregated.workers_insured::integer as workers_insured,
    {{ coverage_measures('aggregated.workers_required', 'aggregated.workers_insured',
                         'targets.target_rate') }}
from aggregated
left join {{ ref('ref_coverage_targets') }} as targets
    on targets.target_year = extract(year from aggregated.coverage_month)
