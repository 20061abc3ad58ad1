-- Coverage of all key-industry workers per county and year: the figure seed 001 §二(二)
-- sets the 80/90/100% targets for (各旗县区).
with enterprises as (
    select * from {{ ref('int_dust_enterprises_joined_insured') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

targets as (
    select * from {{ ref('ref_coverage_targets') }}
),

aggregated as (
    select
        roster_year,
        region_code,
        max(snapshot_date) as snapshot_date,
        count(*) as enterprise_count,
        count(*) filter (where insured_count = 0) as uninsured_enterprise_count,
        sum(worker_count) as workers_required,
        sum(insured_count) as workers_insured
    from enterprises
    group by roster_year, region_code
)

{{ coverage_columns('aggregated', []) }}
