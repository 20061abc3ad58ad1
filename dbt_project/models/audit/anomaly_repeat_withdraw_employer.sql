-- An employer enrolling and withdrawing the same person in the same month more than once
-- (seed 003 §二15): risk warning and referral to labour inspection.
with cases as (
    select * from {{ ref('anomaly_enrol_then_withdraw') }}
)

select
    {{ anomaly_case_key('repeat_withdraw_employer', ['credit_code', 'person_key']) }} as case_key,
    'repeat_withdraw_employer' as rule_code,
    min(region_code) as region_code,
    max(period_month) as period_month,
    credit_code,
    person_key,
    min(resident_id_masked) as resident_id_masked,
    string_agg(to_char(period_month, 'YYYY-MM'), ', ' order by period_month) as reference_id,
    count(*)::integer as months_with_withdrawal,
    true as refer_to_labour_inspection
from cases
group by credit_code, person_key
having count(*) >= {{ var('repeat_withdraw_min_cases') }}
