with source as (
    {{ latest_row(source('social_insurance', 'prevention_training'), ['record_id']) }}
)

select
    record_id,
    project_id,
    {{ person_key('resident_id') }} as person_key,
    credit_code,
    position_category,
    training_date::date as training_date,
    passed::boolean as passed,
    _batch_id as batch_id
from source
