-- Coverage of key-industry workers (尘肺病重点行业职工工伤保险参保率) per county, key industry and
-- year, against the year's target (ref_coverage_targets).
with enterprises as (
    select * from {{ ref('int_dust_enterprises_joined_insured') }}
),

aggregated as (
    select
        roster_year,
        region_code,
        industry_category,
        max(snapshot_date) as snapshot_date,
        count(*) as enterprise_count,
        count(*) filter (where insured_count = 0) as uninsured_enterprise_count,
        sum(worker_count) as workers_required,
        sum(insured_count) as workers_insured
    from enterprises
    group by roster_year, region_code, industry_category
)

{{ coverage_columns('aggregated', ['industry_category']) }}
