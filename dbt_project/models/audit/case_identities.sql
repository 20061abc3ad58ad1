-- The one place full identity numbers and names are shown (稽核核查身份信息): for each anomaly
-- case about a person, the resident ID and the names that person was enrolled under, read from
-- raw at query time. A view, so no copy of the identities is stored; only `auditor` may read it
-- (audit schema), and everywhere else IDs are masked (3504**********123X).
{{ config(materialized='view') }}

with case_people as (
    select case_key, rule_code, person_key
    from {{ ref('fct_anomaly_cases') }}
    where person_key is not null
),

enrolled as (
    select
        {{ person_key('resident_id') }} as person_key,
        resident_id,
        worker_name
    from {{ source('social_insurance', 'enrolment_changes') }}
    where resident_id is not null
)

select
    case_people.case_key::text as case_key,
    case_people.rule_code::text as rule_code,
    case_people.person_key::text as person_key,
    min(enrolled.resident_id)::text as resident_id,
    string_agg(distinct enrolled.worker_name, '、' order by enrolled.worker_name)::text
        as enrolled_names
from case_people
left join enrolled on enrolled.person_key = case_people.person_key
group by case_people.case_key, case_people.rule_code, case_people.person_key
