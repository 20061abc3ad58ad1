-- High-risk positions (高发岗位): recognised injuries and occupational-disease cases by year,
-- GB/T 4754 division and 工种/岗位, with the rate per 1,000 exposed workers where the dust
-- roster gives the exposed headcount, ranked within the division once at least
-- var('min_exposed_workers_for_rank') workers are exposed.
with injuries as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised and position is not null
),

employers as (
    select * from {{ ref('int_employers') }}
),

exposed as (
    select
        dust.roster_year,
        employers.industry_division,
        dust.position,
        count(distinct dust.person_key) as exposed_workers
    from {{ ref('stg_health__dust_workers') }} as dust
    inner join employers on employers.credit_code = dust.credit_code
    group by 1, 2, 3
),

cases as (
    select
        extract(year from injuries.accident_date)::integer as injury_year,
        employers.industry_division,
        injuries.position,
        count(*) as recognised_injuries,
        count(*) filter (where injuries.is_occupational_disease) as occupational_disease_cases,
        mode() within group (order by injuries.accident_category) as most_common_category
    from injuries
    inner join employers on employers.credit_code = injuries.credit_code
    group by 1, 2, 3
),

rated as (
    select
        cases.*,
        exposed.exposed_workers,
        case
            when exposed.exposed_workers >= {{ var('min_exposed_workers_for_rank') }}
                then cases.recognised_injuries * 1000.0 / exposed.exposed_workers
        end as rate_per_1000_exposed
    from cases
    left join exposed
        on exposed.roster_year = cases.injury_year
        and exposed.industry_division = cases.industry_division
        and exposed.position = cases.position
)

select
    injury_year::integer as injury_year,
    industry_division::text as industry_division,
    position::text as position,
    recognised_injuries::integer as recognised_injuries,
    occupational_disease_cases::integer as occupational_disease_cases,
    most_common_category::text as most_common_category,
    exposed_workers::integer as exposed_workers,
    round(rate_per_1000_exposed, 2)::numeric(10, 2) as rate_per_1000_exposed,
    (case when rate_per_1000_exposed is not null then dense_rank() over (
        partition by injury_year, industry_division
        order by rate_per_1000_exposed desc nulls last
    ) end)::integer as rank_in_division
from rated
