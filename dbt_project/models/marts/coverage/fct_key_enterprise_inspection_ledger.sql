-- The inspection ledger per key-industry enterprise and year (重点企业专项行动检查台帐, seed 001
-- §三(一)2): 参保率, 参保人数, 职业健康体检情况, 职工总数, 已认定职业病职工, 诊断时间.
with enterprises as (
    select * from {{ ref('int_dust_enterprises_joined_insured') }}
),

roster as (
    select roster_year, credit_code, enterprise_name, address, contact_person_masked,
           contact_phone_masked
    from {{ ref('stg_health__dust_enterprises') }}
),

exams as (
    select
        credit_code,
        extract(year from exam_date)::integer as exam_year,
        count(distinct person_key) as workers_examined
    from {{ ref('stg_health__health_exams') }}
    group by 1, 2
),

diseases as (
    -- Workers with a recognised occupational disease at this enterprise up to the year.
    select
        roster.roster_year,
        roster.credit_code,
        count(distinct diagnoses.person_key) as recognised_disease_workers,
        max(diagnoses.diagnosis_date) as latest_diagnosis_date
    from roster
    inner join {{ ref('stg_health__occupational_diagnoses') }} as diagnoses
        on diagnoses.credit_code = roster.credit_code
        and diagnoses.recognition_date is not null
        and extract(year from diagnoses.diagnosis_date) <= roster.roster_year
    group by 1, 2
)

select
    enterprises.roster_year::integer as ledger_year,
    enterprises.credit_code::text as credit_code,
    roster.enterprise_name::text as enterprise_name,
    roster.address::text as enterprise_address,
    roster.contact_person_masked::text as contact_person_masked,
    roster.contact_phone_masked::text as contact_phone_masked,
    enterprises.region_code::text as region_code,
    enterprises.industry_category::text as industry_category,
    enterprises.worker_count::integer as workers_total,
    enterprises.insured_count::integer as workers_insured,
    round(enterprises.insured_count::numeric / nullif(enterprises.worker_count, 0), 4)::numeric(7, 4)
        as coverage_rate,
    greatest(enterprises.worker_count - enterprises.insured_count, 0)::integer as workers_uninsured,
    coalesce(exams.workers_examined, 0)::integer as workers_examined,
    coalesce(diseases.recognised_disease_workers, 0)::integer as recognised_disease_workers,
    diseases.latest_diagnosis_date::date as latest_diagnosis_date,
    (enterprises.insured_count < enterprises.worker_count) as refer_to_labour_inspection
from enterprises
inner join roster
    on roster.roster_year = enterprises.roster_year
    and roster.credit_code = enterprises.credit_code
left join exams
    on exams.credit_code = enterprises.credit_code
    and exams.exam_year = enterprises.roster_year
left join diseases
    on diseases.roster_year = enterprises.roster_year
    and diseases.credit_code = enterprises.credit_code
