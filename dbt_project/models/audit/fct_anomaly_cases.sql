-- Every anomaly case of every rule in one table (稽核疑点汇总), with the rule's name and severity
-- (ref_anomaly_rules), the rule-specific evidence as JSON, and the latest review an auditor
-- recorded for the case (audit.case_reviews, kept outside dbt so rebuilds never touch it).
{% set rule_models = [
    'anomaly_enrol_then_withdraw', 'anomaly_repeat_withdraw_employer',
    'anomaly_employer_mismatch', 'anomaly_deceased_still_insured',
    'anomaly_injured_before_enrolment', 'anomaly_enrolled_days_before_injury',
    'anomaly_headcount_swing', 'anomaly_falling_contribution_base',
    'anomaly_medical_subsidy_near_retirement', 'anomaly_identity_mismatch',
    'anomaly_repeat_claims', 'anomaly_commuting_main_fault',
    'anomaly_uninsured_pneumoconiosis', 'anomaly_diagnosis_not_recognised',
    'anomaly_claims_above_industry_norm', 'anomaly_fund_breaches',
] %}
{% set common = ['case_key', 'rule_code', 'region_code', 'period_month', 'credit_code',
                 'person_key', 'resident_id_masked', 'reference_id'] %}
with cases as (
    {% for model in rule_models %}
    select
        {{ common | join(', ') }},
        to_jsonb(rule_rows) - array['{{ common | join("', '") }}'] as evidence
    from {{ ref(model) }} as rule_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

reviews as (
    select distinct on (case_key) *
    from {{ source('audit', 'case_reviews') }}
    order by case_key, reviewed_at desc, review_id desc
)

select
    cases.case_key::text as case_key,
    cases.rule_code::text as rule_code,
    rules.rule_name::text as rule_name,
    rules.severity::text as severity,
    cases.region_code::text as region_code,
    cases.period_month::date as period_month,
    cases.credit_code::text as credit_code,
    cases.person_key::text as person_key,
    cases.resident_id_masked::text as resident_id_masked,
    cases.reference_id::text as reference_id,
    cases.evidence::jsonb as evidence,
    coalesce(reviews.status, 'open')::text as review_status,
    reviews.note::text as review_note,
    reviews.reviewer::text as reviewer,
    reviews.reviewed_at::timestamptz as reviewed_at
from cases
left join {{ ref('ref_anomaly_rules') }} as rules on rules.rule_code = cases.rule_code
left join reviews on reviews.case_key = cases.case_key
