with source as (
    {{ latest_row(source('social_insurance', 'enrolment_changes'), ['change_id']) }}
),

change_types as (
    select * from {{ ref('ref_enrolment_change_types') }}
)

select
    source.change_id,
    {{ person_key('source.resident_id') }} as person_key,
    {{ mask_id('source.resident_id') }} as resident_id_masked,
    {{ person_key('source.worker_name') }} as name_key,
    coalesce(source.sex, {{ sex_from_id('source.resident_id') }}) as sex,
    {{ birth_date_from_id('source.resident_id') }} as birth_date,
    source.credit_code,
    source.change_type,
    change_types.effect as change_effect,
    {{ month_start('source.effective_month') }} as effective_month,
    source.processing_date::date as processing_date,
    source.reverses_change_id,
    source.reason,
    source._batch_id as batch_id
from source
left join change_types on change_types.change_type = source.change_type
