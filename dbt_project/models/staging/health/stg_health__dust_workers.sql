with source as (
    {{ latest_row(source('health', 'dust_workers'), ['report_date', 'credit_code', 'resident_id']) }}
)

select
    report_date::date as report_date,
    extract(year from report_date::date)::integer as roster_year,
    credit_code,
    {{ person_key('resident_id') }} as person_key,
    coalesce(sex, {{ sex_from_id('resident_id') }}) as sex,
    {{ birth_date_from_id('resident_id') }} as birth_date,
    position,
    hazard,
    exposure_start_date::date as exposure_start_date,
    _batch_id as batch_id
from source
