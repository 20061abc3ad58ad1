with source as (
    {{ latest_row(source('health', 'health_exams'), ['exam_id']) }}
)

select
    exam_id,
    {{ person_key('resident_id') }} as person_key,
    credit_code,
    exam_type,
    exam_date::date as exam_date,
    hazard,
    conclusion,
    institution,
    _batch_id as batch_id
from source
