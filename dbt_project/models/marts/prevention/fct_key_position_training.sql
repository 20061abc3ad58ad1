-- Training of key-position staff (重点岗位人员培训) in key-industry enterprises, per year,
-- county and category (企业负责人, 安全管理负责人, 一线班组长, 接害劳动者; seed 002 §三(五)1,
-- 004 §三(五)). No feed lists who holds these posts, so coverage is counted per enterprise:
-- key-industry enterprises with insured workers in the year that have at least one person of
-- the category who passed a training by year end, against the 100%-by-end-2025 target.
with employers as (
    select * from {{ ref('int_employers') }}
    where dust_key_industry is not null or accident_key_industry is not null
),

active as (
    select distinct extract(year from headcount_month)::integer as coverage_year, credit_code
    from {{ ref('int_insured_headcount_monthly') }}
    where insured_headcount > 0
),

key_enterprises as (
    select active.coverage_year, employers.region_code, employers.credit_code
    from active
    inner join employers on employers.credit_code = active.credit_code
),

categories as (
    select position_category from {{ ref('ref_key_positions') }}
),

trained as (
    select credit_code, position_category, min(training_date) as first_passed_on
    from {{ ref('stg_social_insurance__prevention_training') }}
    where passed
    group by credit_code, position_category
),

target as (
    select * from {{ ref('ref_training_targets') }}
),

counted as (
    select
        key_enterprises.coverage_year,
        key_enterprises.region_code,
        categories.position_category,
        count(*) as key_enterprises,
        count(*) filter (
            where trained.first_passed_on <= make_date(key_enterprises.coverage_year, 12, 31)
        ) as enterprises_trained
    from key_enterprises
    cross join categories
    left join trained
        on trained.credit_code = key_enterprises.credit_code
        and trained.position_category = categories.position_category
    group by 1, 2, 3
)

select
    counted.coverage_year::integer as coverage_year,
    counted.region_code::text as region_code,
    counted.position_category::text as position_category,
    counted.key_enterprises::integer as key_enterprises,
    counted.enterprises_trained::integer as enterprises_trained,
    round(counted.enterprises_trained::numeric / nullif(counted.key_enterprises, 0), 4)
        ::numeric(7, 4) as enterprise_coverage,
    target.target_rate::numeric(5, 4) as target_rate,
    target.target_year::integer as target_year,
    (counted.enterprises_trained >= counted.key_enterprises * target.target_rate)
        as is_target_met
from counted
cross join target
