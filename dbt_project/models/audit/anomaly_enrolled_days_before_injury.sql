-- Screening variant of 先伤后保: the enrolment was processed only a few days before the
-- accident (var enrolled_days_before_injury_max). Legitimate new hires also land here, so it
-- is a lead for review, not a finding.
with injuries as (
    select * from {{ ref('int_injuries_with_span') }}
    where days_enrolled_before_accident between 1 and {{ var('enrolled_days_before_injury_max') }}
)

select
    {{ anomaly_case_key('enrolled_days_before_injury', ['injuries.case_id']) }} as case_key,
    'enrolled_days_before_injury' as rule_code,
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
