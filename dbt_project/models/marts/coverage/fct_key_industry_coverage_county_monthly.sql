-- Monthly key-industry coverage (月度参保进度) per county and for the whole pooling region, all
-- key industries together: the coverage-progress table (参保扩面进度表) of the expansion plan and
-- the bulletin's coverage section. Sums the per-industry monthly mart; rates and gaps are
-- recomputed on the sums, never averaged.
with monthly as (
    select * from {{ ref('fct_key_industry_coverage_monthly') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

counties as (
    select
        coverage_month,
        region_code,
        'county' as region_level,
        sum(enterprise_count) as enterprise_count,
        sum(uninsured_enterprise_count) as uninsured_enterprise_count,
        sum(workers_required) as workers_required,
        sum(workers_insured) as workers_insured,
        max(target_rate) as target_rate
    from monthly
    group by 1, 2
),

pooling_region as (
    select
        coverage_month,
        '{{ var("pooling_region_code") }}' as region_code,
        'pooling_region' as region_level,
        sum(enterprise_count) as enterprise_count,
        sum(uninsured_enterprise_count) as uninsured_enterprise_count,
        sum(workers_required) as workers_required,
        sum(workers_insured) as workers_insured,
        max(target_rate) as target_rate
    from counties
    group by 1
),

both_levels as (
    select * from counties
    union all
    select * from pooling_region
)

select
    both_levels.coverage_month::date as coverage_month,
    extract(year from both_levels.coverage_month)::integer as coverage_year,
    both_levels.region_code::text as region_code,
    coalesce(regions.region_name, both_levels.region_code)::text as region_name,
    both_levels.region_level::text as region_level,
    regions.parent_code::text as parent_code,
    both_levels.enterprise_count::integer as enterprise_count,
    both_levels.uninsured_enterprise_count::integer as uninsured_enterprise_count,
    both_levels.workers_required::integer as workers_required,
    both_levels.workers_insured::integer as workers_insured,
    {{ coverage_measures('both_levels.workers_required', 'both_levels.workers_insured',
                         'both_levels.target_rate') }}
from both_levels
left join regions on regions.region_code = both_levels.region_code
