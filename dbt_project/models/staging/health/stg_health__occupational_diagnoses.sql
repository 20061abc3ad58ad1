with source as (
    {{ latest_row(source('health', 'occupational_diagnoses'), ['resident_id', 'disease', 'diagnosis_date']) }}
),

pneumoconiosis as (
    select * from {{ ref('ref_pneumoconiosis_types') }}
)

select
    {{ person_key('source.resident_id') }} as person_key,
    {{ mask_id('source.resident_id') }} as resident_id_masked,
    {{ mask_name('source.worker_name') }} as worker_name_masked,
    source.sex,
    {{ birth_date_from_id('source.resident_id') }} as birth_date,
    source.employer_name,
    source.credit_code,
    source.disease,
    pneumoconiosis.disease is not null as is_pneumoconiosis,
    source.diagnosis_date::date as diagnosis_date,
    source.recognition_date::date as recognition_date,
    source.assessment_date::date as assessment_date,
    source.is_insured::boolean as is_insured,
    source.receives_benefits::boolean as receives_benefits,
    source.report_date::date as report_date,
    source._batch_id as batch_id
from source
left join pneumoconiosis on pneumoconiosis.disease = source.disease
