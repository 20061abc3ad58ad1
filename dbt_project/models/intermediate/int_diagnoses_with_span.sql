-- Each occupational-disease diagnosis (职业病诊断) with the enrolment span in force in the
-- diagnosis month: at the employer where the disease arose when its credit code is known,
-- else at any employer, and the injury recognition that followed for the same person and
-- disease, if any. The basis of the uninsured-pneumoconiosis and no-recognition checks.
with diagnoses as (
    select
        person_key,
        resident_id_masked,
        credit_code,
        disease,
        is_pneumoconiosis,
        diagnosis_date,
        date_trunc('month', diagnosis_date)::date as diagnosis_month,
        is_insured as reported_insured
    from {{ ref('stg_health__occupational_diagnoses') }}
),

spans as (
    select * from {{ ref('int_enrolment_spans') }}
),

recognitions as (
    select person_key, disease, min(recognition_date) as recognition_date
    from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised and is_occupational_disease
    group by person_key, disease
),

covering as (
    select
        diagnoses.person_key,
        diagnoses.disease,
        diagnoses.diagnosis_date,
        spans.credit_code,
        row_number() over (
            partition by diagnoses.person_key, diagnoses.disease, diagnoses.diagnosis_date
            order by spans.credit_code = diagnoses.credit_code desc, spans.span_start desc
        ) as preference
    from diagnoses
    inner join spans
        on spans.person_key = diagnoses.person_key
        and spans.span_start <= diagnoses.diagnosis_month
        and (spans.span_end is null or diagnoses.diagnosis_month < spans.span_end)
)

select
    diagnoses.person_key,
    diagnoses.resident_id_masked,
    diagnoses.credit_code,
    diagnoses.disease,
    diagnoses.is_pneumoconiosis,
    diagnoses.diagnosis_date,
    diagnoses.reported_insured,
    covering.credit_code as covering_credit_code,
    covering.credit_code is not null as is_insured_at_diagnosis,
    coalesce(covering.credit_code = diagnoses.credit_code, false) as is_insured_by_employer,
    recognitions.recognition_date,
    recognitions.recognition_date - diagnoses.diagnosis_date as days_to_recognition
from diagnoses
left join covering
    on covering.person_key = diagnoses.person_key
    and covering.disease = diagnoses.disease
    and covering.diagnosis_date = diagnoses.diagnosis_date
    and covering.preference = 1
left join recognitions
    on recognitions.person_key = diagnoses.person_key
    and recognitions.disease = diagnoses.disease
