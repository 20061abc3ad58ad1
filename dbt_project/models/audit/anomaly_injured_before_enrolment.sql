-- 先伤后保 (seed 003 §二15): the applicant enrolled the person only on or after the accident
-- date. The fund pays nothing incurred before enrolment.
with injuries as (
    select * from {{ ref('int_injuries_with_span') }}
    where days_enrolled_before_accident <= 0
)

select
    {{ anomaly_case_key('injured_before_enrolment', ['injuries.case_id']) }} as case_key,
    'injured_before_enrolment' as rule_code,
    recognitions.region_code,
    date_trunc('month', injuries.accident_date)::date as period_month,
    injuries.credit_code,
    injuries.person_key,
    recognitions.resident_id_masked,
    injuries.case_id as reference_id,
    injuries.accident_date,
    injuries.first_enrolled_on,
    injuries.days_enrolled_before_accident
from injuries
inner join {{ ref('stg_social_insurance__injury_recognitions') }} as recognitions
    on recognitions.case_id = injuries.case_id
