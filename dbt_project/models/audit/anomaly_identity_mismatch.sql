-- The name on an injury-recognition claim differs from the name the insured person is enrolled
-- under for the same resident ID (冒名顶替, seed 003 §二16). Names are compared as salted
-- hashes; neither name leaves staging.
with enrolled_names as (
    select distinct person_key, name_key
    from {{ ref('stg_social_insurance__enrolment_changes') }}
    where name_key is not null
),

claims as (
    select * from {{ ref('stg_social_insurance__injury_recognitions') }}
    where name_key is not null
)

select
    {{ anomaly_case_key('identity_mismatch', ['claims.case_id']) }} as case_key,
    'identity_mismatch' as rule_code,
    claims.region_code,
    date_trunc('month', claims.accident_date)::date as period_month,
    claims.credit_code,
    claims.person_key,
    claims.resident_id_masked,
    claims.case_id as reference_id,
    claims.accident_date,
    claims.recognition_date
from claims
where exists (select 1 from enrolled_names where enrolled_names.person_key = claims.person_key)
    and not exists (
        select 1 from enrolled_names
        where enrolled_names.person_key = claims.person_key
            and enrolled_names.name_key = claims.name_key
    )
