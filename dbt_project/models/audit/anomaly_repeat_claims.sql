-- A second injury claim by the same person within var repeat_claim_window_days of an earlier
-- accident (重复申报); the later claim is the case.
with claims as (
    select
        *,
        lag(accident_date) over (partition by person_key order by accident_date, case_id)
            as previous_accident_date,
        lag(case_id) over (partition by person_key order by accident_date, case_id)
            as previous_case_id
    from {{ ref('stg_social_insurance__injury_recognitions') }}
    where not is_occupational_disease
)

select
    {{ anomaly_case_key('repeat_claims', ['claims.case_id']) }} as case_key,
    'repeat_claims' as rule_code,
    claims.region_code,
    date_trunc('month', claims.accident_date)::date as period_month,
    claims.credit_code,
    claims.person_key,
    claims.resident_id_masked,
    claims.case_id as reference_id,
    claims.accident_date,
    claims.previous_case_id,
    claims.previous_accident_date,
    claims.accident_date - claims.previous_accident_date as days_since_previous
from claims
where claims.accident_date - claims.previous_accident_date <= {{ var('repeat_claim_window_days') }}
