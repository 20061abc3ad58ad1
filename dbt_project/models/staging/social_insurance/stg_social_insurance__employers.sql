with source as (
    select * from {{ source('social_insurance', 'employers') }}
),

typed as (
    select
        snapshot_date::date as snapshot_date,
        extract(year from snapshot_date::date)::integer as snapshot_year,
        credit_code,
        employer_name,
        region_code,
        industry_code,
        insured_count::integer as insured_count,
        _batch_id as batch_id,
        row_number() over (
            partition by snapshot_date::date, credit_code
            order by _loaded_at desc, _row_number desc
        ) as recency
    from source
)

select
    snapshot_date,
    snapshot_year,
    credit_code,
    employer_name,
    region_code,
    industry_code,
    insured_count,
    batch_id
from typed
where recency = 1
