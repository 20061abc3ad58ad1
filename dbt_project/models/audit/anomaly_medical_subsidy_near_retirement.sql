-- 一次性工伤医疗补助金 paid within five years of the statutory retirement date (seed 003 §二16):
-- extra review, since the subsidy is meant for workers leaving employment, not retiring.
with payments as (
    select * from {{ ref('stg_social_insurance__benefit_payments') }}
    where item = '一次性工伤医疗补助金'
),

dated as (
    select
        payments.*,
        people.sex,
        people.birth_date,
        {{ retirement_date('people.birth_date', 'people.sex') }} as retirement_date
    from payments
    inner join {{ ref('int_people') }} as people on people.person_key = payments.person_key
)

select
    {{ anomaly_case_key('medical_subsidy_near_retirement', ['dated.payment_id']) }} as case_key,
    'medical_subsidy_near_retirement' as rule_code,
    employers.region_code,
    date_trunc('month', dated.payment_date)::date as period_month,
    dated.credit_code,
    dated.person_key,
    dated.resident_id_masked,
    dated.case_id as reference_id,
    dated.payment_date,
    dated.amount,
    dated.retirement_date,
    round((dated.retirement_date - dated.payment_date) / 365.25, 2) as years_to_retirement
from dated
left join {{ ref('int_employers') }} as employers on employers.credit_code = dated.credit_code
where dated.payment_date >= (dated.retirement_date - make_interval(years => {{ var('medical_subsidy_review_years') }}))::date
