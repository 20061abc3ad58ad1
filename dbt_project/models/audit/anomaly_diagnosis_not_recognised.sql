-- An insured worker's occupational disease diagnosed more than var
-- diagnosis_recognition_max_days ago with no work-injury recognition yet (seed 001 §三(一)3
-- asks for timely recognition). Measured against the build date or var audit_as_of.
with diagnoses as (
    select * from {{ ref('int_diagnoses_with_span') }}
    where is_insured_by_employer
        and recognition_date is null
        and diagnosis_date < {{ audit_as_of() }} - {{ var('diagnosis_recognition_max_days') }}
)

select
    {{ anomaly_case_key('diagnosis_not_recognised', ['diagnoses.person_key', 'diagnoses.disease', 'diagnoses.diagnosis_date::text']) }} as case_key,
    'diagnosis_not_recognised' as rule_code,
    employers.region_code,
    date_trunc('month', diagnoses.diagnosis_date)::date as period_month,
    diagnoses.credit_code,
    diagnoses.person_key,
    diagnoses.resident_id_masked,
    diagnoses.disease as reference_id,
    diagnoses.diagnosis_date,
    ({{ audit_as_of() }} - diagnoses.diagnosis_date) as days_waiting
from diagnoses
left join {{ ref('int_employers') }} as employers on employers.credit_code = diagnoses.credit_code
