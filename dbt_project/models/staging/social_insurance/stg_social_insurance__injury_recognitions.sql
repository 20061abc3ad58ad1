with source as (
    {{ latest_row(source('social_insurance', 'injury_recognitions'), ['case_id']) }}
)

select
    case_id,
    {{ person_key('resident_id') }} as person_key,
    {{ mask_id('resident_id') }} as resident_id_masked,
    {{ person_key('worker_name') }} as name_key,
    coalesce(sex, {{ sex_from_id('resident_id') }}) as sex,
    {{ birth_date_from_id('resident_id') }} as birth_date,
    credit_code,
    region_code,
    accident_date::date as accident_date,
    recognition_date::date as recognition_date,
    accident_category,
    position,
    is_occupational_disease::boolean as is_occupational_disease,
    disease,
    conclusion,
    conclusion in ('认定工伤', '视同工伤') as is_recognised,
    _batch_id as batch_id
from source
