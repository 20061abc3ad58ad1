-- 《职业病人员统计情况表》 (seed 001 Attachment 3) as a fact: one row per case, counted by
-- diagnosis date (职业病诊断时间). Names and ID numbers only masked (王**, 1508**********123X),
-- as the form shows them. The county is the employer's.
with diagnoses as (
    select * from {{ ref('stg_health__occupational_diagnoses') }}
),

employers as (
    select * from {{ ref('int_employers') }}
)

select
    diagnoses.person_key::text as person_key,
    diagnoses.resident_id_masked::text as resident_id_masked,
    diagnoses.worker_name_masked::text as worker_name_masked,
    diagnoses.sex::text as sex,
    (extract(year from age(diagnoses.diagnosis_date, diagnoses.birth_date)))::integer
        as age_at_diagnosis,
    diagnoses.credit_code::text as credit_code,
    diagnoses.employer_name::text as employer_name,
    employers.region_code::text as region_code,
    diagnoses.disease::text as disease,
    diagnoses.is_pneumoconiosis::boolean as is_pneumoconiosis,
    diagnoses.diagnosis_date::date as diagnosis_date,
    extract(year from diagnoses.diagnosis_date)::integer as diagnosis_year,
    diagnoses.recognition_date::date as recognition_date,
    diagnoses.assessment_date::date as assessment_date,
    (diagnoses.recognition_date - diagnoses.diagnosis_date)::integer as days_to_recognition,
    diagnoses.is_insured::boolean as is_insured,
    diagnoses.receives_benefits::boolean as receives_benefits
from diagnoses
left join employers on employers.credit_code = diagnoses.credit_code
