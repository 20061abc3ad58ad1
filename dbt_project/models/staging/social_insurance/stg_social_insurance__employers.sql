with source as (
    {{ latest_row(source('social_insurance', 'employers'), ['snapshot_date', 'credit_code']) }}
)

select
    snapshot_date::date as snapshot_date,
    extract(year from snapshot_date::date)::integer as snapshot_year,
    credit_code,
    employer_name,
    region_code,
    industry_code,
    insured_count::integer as insured_count,
    _batch_id as batch_id
from source
