-- Work-injury rate (工伤发生率, ‰) of the accident key industries (危化、矿山、冶金、建筑施工、
-- 交通运输、机械制造; ref_accident_key_industries) per year, for each county and the whole pooling
-- region, each industry and all of them together (合计), against the 2020 baseline and the
-- −20%-by-2025 path (ref_injury_rate_targets). Sums fct_injury_rates; the rate is recomputed
-- on the sums, never averaged.
with rates as (
    select * from {{ ref('fct_injury_rates') }}
    where accident_key_industry is not null
),

target as (
    select * from {{ ref('ref_injury_rate_targets') }}
),

regions as (
    select * from {{ ref('ref_regions') }}
),

by_scope as (
    select rate_year, region_code, 'county' as region_level, accident_key_industry,
           avg_insured_workers, recognised_injuries
    from rates
    union all
    select rate_year, '{{ var("pooling_region_code") }}', 'pooling_region', accident_key_industry,
           avg_insured_workers, recognised_injuries
    from rates
),

with_total as (
    select rate_year, region_code, region_level, accident_key_industry,
           sum(avg_insured_workers) as avg_insured_workers,
           sum(recognised_injuries) as recognised_injuries
    from by_scope
    group by 1, 2, 3, 4
    union all
    select rate_year, region_code, region_level, '合计',
           sum(avg_insured_workers), sum(recognised_injuries)
    from by_scope
    group by 1, 2, 3
),

rated as (
    select
        *,
        recognised_injuries * 1000.0 / nullif(avg_insured_workers, 0) as injury_rate
    from with_total
),

with_baseline as (
    select
        rated.*,
        baseline.injury_rate as baseline_rate,
        {{ target_path_rate('baseline.injury_rate', 'rated.rate_year') }} as target_rate
    from rated
    cross join target
    left join rated as baseline
        on baseline.rate_year = target.baseline_year
        and baseline.region_code = rated.region_code
        and baseline.accident_key_industry = rated.accident_key_industry
)

select
    with_baseline.rate_year::integer as rate_year,
    with_baseline.region_code::text as region_code,
    coalesce(regions.region_name, with_baseline.region_code)::text as region_name,
    with_baseline.region_level::text as region_level,
    with_baseline.accident_key_industry::text as accident_key_industry,
    round(with_baseline.avg_insured_workers, 2)::numeric(12, 2) as avg_insured_workers,
    with_baseline.recognised_injuries::integer as recognised_injuries,
    round(with_baseline.injury_rate, 4)::numeric(12, 4) as injury_rate_per_mille,
    round(with_baseline.baseline_rate, 4)::numeric(12, 4) as baseline_rate_per_mille,
    round(with_baseline.target_rate, 4)::numeric(12, 4) as target_rate_per_mille,
    round(with_baseline.injury_rate / nullif(with_baseline.baseline_rate, 0) - 1, 4)
        ::numeric(9, 4) as change_vs_baseline,
    case
        when with_baseline.injury_rate is null or with_baseline.target_rate is null then null
        else round(with_baseline.injury_rate, 4) <= round(with_baseline.target_rate, 4)
    end as is_on_path
from with_baseline
left join regions on regions.region_code = with_baseline.region_code
