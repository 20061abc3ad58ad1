with source as (
    {{ latest_row(source('social_insurance', 'disability_assessments'), ['assessment_id']) }}
)

select
    assessment_id,
    case_id,
    {{ person_key('resident_id') }} as person_key,
    assessment_date::date as assessment_date,
    disability_grade::integer as disability_grade,
    care_level,
    _batch_id as batch_id
from source
