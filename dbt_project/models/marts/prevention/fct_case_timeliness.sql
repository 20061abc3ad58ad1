-- Case-processing timeliness (工伤认定及待遇支付时效) by county and accident year: days from
-- the accident (or diagnosis) to recognition, from recognition to disability assessment and
-- from recognition to the first benefit payment. Medians and 90th percentiles, in days.
with cases as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised
),

assessments as (
    select case_id, min(assessment_date) as first_assessment_date
    from {{ ref('stg_social_insurance__disability_assessments') }}
    group by case_id
),

payments as (
    select case_id, min(payment_date) as first_payment_date
    from {{ ref('stg_social_insurance__benefit_payments') }}
    group by case_id
),

spans as (
    select
        cases.region_code,
        extract(year from cases.accident_date)::integer as accident_year,
        cases.recognition_date - cases.accident_date as days_to_recognition,
        assessments.first_assessment_date - cases.recognition_date as days_to_assessment,
        payments.first_payment_date - cases.recognition_date as days_to_first_payment
    from cases
    left join assessments on assessments.case_id = cases.case_id
    left join payments on payments.case_id = cases.case_id
)

select
    region_code::text as region_code,
    accident_year::integer as accident_year,
    count(*)::integer as recognised_cases,
    percentile_cont(0.5) within group (order by days_to_recognition)::numeric(8, 1)
        as median_days_to_recognition,
    percentile_cont(0.9) within group (order by days_to_recognition)::numeric(8, 1)
        as p90_days_to_recognition,
    count(days_to_assessment)::integer as assessed_cases,
    percentile_cont(0.5) within group (order by days_to_assessment)::numeric(8, 1)
        as median_days_to_assessment,
    count(days_to_first_payment)::integer as paid_cases,
    percentile_cont(0.5) within group (order by days_to_first_payment)::numeric(8, 1)
        as median_days_to_first_payment
from spans
group by region_code, accident_year
