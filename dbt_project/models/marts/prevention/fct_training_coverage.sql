-- Training coverage of workers exposed to dust hazards (接害劳动者培训覆盖率) in key-industry
-- enterprises: roster workers who passed a prevention training by the end of the year,
-- against the 100%-by-end-2025 target (ref_training_targets). Per county and year.
with roster as (
    select distinct dust.roster_year, enterprises.region_code, dust.person_key
    from {{ ref('stg_health__dust_workers') }} as dust
    inner join {{ ref('stg_health__dust_enterprises') }} as enterprises
        on enterprises.credit_code = dust.credit_code
        and enterprises.roster_year = dust.roster_year
),

trained as (
    select person_key, min(training_date) as first_passed_on
    from {{ ref('stg_social_insurance__prevention_training') }}
    where passed
    group by person_key
),

target as (
    select * from {{ ref('ref_training_targets') }}
),

counted as (
    select
        roster.roster_year,
        roster.region_code,
        count(*) as exposed_workers,
        count(*) filter (
            where trained.first_passed_on <= make_date(roster.roster_year, 12, 31)
        ) as trained_workers
    from roster
    left join trained on trained.person_key = roster.person_key
    group by roster.roster_year, roster.region_code
)

select
    counted.roster_year::integer as coverage_year,
    counted.region_code::text as region_code,
    counted.exposed_workers::integer as exposed_workers,
    counted.trained_workers::integer as trained_workers,
    round(counted.trained_workers::numeric / nullif(counted.exposed_workers, 0), 4)::numeric(7, 4)
        as training_coverage,
    target.target_rate::numeric(5, 4) as target_rate,
    target.target_year::integer as target_year,
    (counted.trained_workers >= counted.exposed_workers * target.target_rate) as is_target_met
from counted
cross join target
