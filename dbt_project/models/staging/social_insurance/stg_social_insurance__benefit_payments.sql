with source as (
    {{ latest_row(source('social_insurance', 'benefit_payments'), ['payment_id']) }}
)

select
    payment_id,
    case_id,
    {{ person_key('resident_id') }} as person_key,
    {{ mask_id('resident_id') }} as resident_id_masked,
    credit_code,
    item,
    amount::numeric(14, 2) as amount,
    payment_date::date as payment_date,
    _batch_id as batch_id
from source
