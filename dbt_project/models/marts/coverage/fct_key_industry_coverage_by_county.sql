-- Coverage of all key-industry workers per county and year: the figure seed 001 §二(二)
-- sets the 80/90/100% targets for (各旗县区). Sums of the per-industry mart, rates recomputed.
with by_industry as (
    select * from {{ ref('fct_key_industry_coverage') }}
),

aggregated as (
    select
        coverage_year as roster_year,
        region_code,
        max(snapshot_date) as snapshot_date,
        sum(enterprise_count) as enterprise_count,
        sum(uninsured_enterprise_count) as uninsured_enterprise_count,
        sum(workers_required) as workers_required,
        sum(workers_insured) as workers_insured
    from by_industry
    group by coverage_year, region_code
)

{{ coverage_columns('aggregated', []) }}
