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

-- Staging knows each enrolment change's person key; raw holds the ID and name sent with it.
-- Joined by change_id, so no hash is computed at query time (and the auditor, who may not
-- read the salt, can use the view).
enrolled as (
    select staged.person_key, delivered.resident_id, delivered.worker_name
    from {{ ref('stg_social_insurance__enrolment_changes') }} as staged
    inner join {{ source('social_insurance', 'enrolment_changes') }} as delivered
        on delivered.change_id = staged.change_id
    where delivered.resident_id is not null
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
