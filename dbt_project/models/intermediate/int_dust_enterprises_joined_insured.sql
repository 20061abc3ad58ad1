-- One row per key-industry enterprise and roster year, with the insured headcount from the
-- last employer-registry snapshot of that year. An enterprise missing from that snapshot has
-- no insured workers. Insured is capped at the roster headcount so that one over-reported
-- employer cannot hide another's gap.
with roster as (
    select * from {{ ref('stg_health__dust_enterprises') }}
),

employers as (
    select * from {{ ref('stg_social_insurance__employers') }}
),

year_end_snapshot as (
    select snapshot_year, max(snapshot_date) as snapshot_date
    from employers
    group by snapshot_year
)

select
    roster.roster_year,
    roster.region_code,
    roster.industry_category,
    roster.credit_code,
    roster.worker_count,
    year_end_snapshot.snapshot_date,
    case
        when year_end_snapshot.snapshot_date is null then null
        else coalesce(employers.insured_count, 0)
    end as insured_count_reported,
    case
        when year_end_snapshot.snapshot_date is null then null
        else least(coalesce(employers.insured_count, 0), roster.worker_count)
    end as insured_count
from roster
left join year_end_snapshot
    on roster.roster_year = year_end_snapshot.snapshot_year
left join employers
    on employers.snapshot_date = year_end_snapshot.snapshot_date
    and employers.credit_code = roster.credit_code
