-- Types of occupational injury (职业伤害发生的类型, seed 002 §三(二)2): recognised injuries and
-- deaths by year, GB/T 4754 division and GB 6441-86 accident category, with each category's
-- share of the division's injuries that year. Occupational diseases have no accident
-- category and are counted under their own mart.
with injuries as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised and accident_category is not null
),

employers as (
    select * from {{ ref('int_employers') }}
),

categories as (
    select * from {{ ref('ref_gb6441_accident_categories') }}
),

deaths as (
    select distinct case_id
    from {{ ref('stg_social_insurance__benefit_payments') }}
    where item = '一次性工亡补助金'
),

counted as (
    select
        extract(year from injuries.accident_date)::integer as injury_year,
        employers.industry_division,
        injuries.accident_category,
        count(*) as recognised_injuries,
        count(deaths.case_id) as work_deaths
    from injuries
    inner join employers on employers.credit_code = injuries.credit_code
    left join deaths on deaths.case_id = injuries.case_id
    group by 1, 2, 3
)

select
    counted.injury_year::integer as injury_year,
    counted.industry_division::text as industry_division,
    counted.accident_category::text as accident_category,
    categories.category_name::text as category_name,
    counted.recognised_injuries::integer as recognised_injuries,
    counted.work_deaths::integer as work_deaths,
    round(counted.recognised_injuries::numeric / sum(counted.recognised_injuries) over (
        partition by counted.injury_year, counted.industry_division
    ), 4)::numeric(7, 4) as share_of_division
from counted
left join categories on categories.category_code = counted.accident_category
