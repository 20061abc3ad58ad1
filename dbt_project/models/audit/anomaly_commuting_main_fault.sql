-- A vehicle injury (GB 6441 02) recognised as a work injury although the public-security
-- traffic record finds the worker mainly or wholly at fault: 工伤保险条例 §14(6) covers only
-- commuting accidents where the worker was not mainly responsible.
with recognised as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised and accident_category = '02'
),

traffic as (
    select * from {{ ref('stg_public_security__traffic_accidents') }}
)

select
    {{ anomaly_case_key('commuting_main_fault', ['recognised.case_id']) }} as case_key,
    'commuting_main_fault' as rule_code,
    recognised.region_code,
    date_trunc('month', recognised.accident_date)::date as period_month,
    recognised.credit_code,
    recognised.person_key,
    recognised.resident_id_masked,
    recognised.case_id as reference_id,
    recognised.accident_date,
    traffic.accident_id as traffic_accident_id,
    traffic.liability
from recognised
inner join traffic
    on traffic.person_key = recognised.person_key
    and traffic.occurred_at::date between recognised.accident_date - 1 and recognised.accident_date + 1
where traffic.is_mainly_at_fault
