with source as (
    {{ latest_row(source('public_security', 'death_records'), ['resident_id']) }}
)

select
    {{ person_key('resident_id') }} as person_key,
    {{ mask_id('resident_id') }} as resident_id_masked,
    coalesce(sex, {{ sex_from_id('resident_id') }}) as sex,
    death_date::date as death_date,
    cancellation_date::date as cancellation_date,
    _batch_id as batch_id
from source
