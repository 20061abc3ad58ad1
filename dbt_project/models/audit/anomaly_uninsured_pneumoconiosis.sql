-- Pneumoconiosis diagnosed in a key-industry enterprise for a worker it did not insure
-- (应保尽保, seeds 000/001): the enterprise owes the benefits and goes to labour inspection.
with diagnoses as (
    select * from {{ ref('int_diagnoses_with_span') }}
    where is_pneumoconiosis and not is_insured_by_employer
)

select
    {{ anomaly_case_key('uninsured_pneumoconiosis', ['diagnoses.person_key', 'diagnoses.disease', 'diagnoses.diagnosis_date::text']) }} as case_key,
    'uninsured_pneumoconiosis' as rule_code,
    employers.region_code,
    date_trunc('month', diagnoses.diagnosis_date)::date as period_month,
    diagnoses.credit_code,
    diagnoses.person_key,
    diagnoses.resident_id_masked,
    diagnoses.disease as reference_id,
    diagnoses.diagnosis_date,
    employers.dust_key_industry
from diagnoses
inner join {{ ref('int_employers') }} as employers
    on employers.credit_code = diagnoses.credit_code
where employers.dust_key_industry is not null or employers.accident_key_industry is not null
