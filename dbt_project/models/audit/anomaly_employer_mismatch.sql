-- The employer applying for recognition is not the employer insuring the person at the
-- accident date (参保单位与申报单位不一致, seed 003 §二15): a random-audit lead.
with injuries as (
    select * from {{ ref('int_injuries_with_span') }}
    where is_insured_at_accident and not is_insured_by_applicant
)

select
    {{ anomaly_case_key('employer_mismatch', ['injuries.case_id']) }} as case_key,
    'employer_mismatch' as rule_code,
    recognitions.region_code,
    date_trunc('month', injuries.accident_date)::date as period_month,
    injuries.credit_code,
    injuries.person_key,
    recognitions.resident_id_masked,
    injuries.case_id as reference_id,
    injuries.accident_date,
    injuries.covering_credit_code as insured_credit_code
from injuries
inner join {{ ref('stg_social_insurance__injury_recognitions') }} as recognitions
    on recognitions.case_id = injuries.case_id
