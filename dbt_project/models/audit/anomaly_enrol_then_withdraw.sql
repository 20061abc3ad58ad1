-- 当月先参保后回退 (seed 003 §二15): a start (参保/增员) undone by its reversal (回退) in the same
-- effective month, per person, employer and month.
with changes as (
    select * from {{ ref('stg_social_insurance__enrolment_changes') }}
),

pairs as (
    select
        started.person_key,
        started.resident_id_masked,
        started.credit_code,
        started.effective_month,
        started.change_id as start_change_id,
        undone.change_id as reversal_change_id,
        started.processing_date as enrolled_on,
        undone.processing_date as reversed_on
    from changes as started
    inner join changes as undone
        on undone.reverses_change_id = started.change_id
        and undone.change_effect = 'undo'
        and undone.effective_month = started.effective_month
    where started.change_effect = 'start'
)

select
    {{ anomaly_case_key('enrol_then_withdraw', ['pairs.person_key', 'pairs.credit_code', 'pairs.effective_month::text']) }} as case_key,
    'enrol_then_withdraw' as rule_code,
    employers.region_code,
    pairs.effective_month as period_month,
    pairs.credit_code,
    pairs.person_key,
    pairs.resident_id_masked,
    min(pairs.start_change_id) as reference_id,
    count(*)::integer as reversals_in_month,
    min(pairs.enrolled_on) as enrolled_on,
    max(pairs.reversed_on) as reversed_on
from pairs
left join {{ ref('int_employers') }} as employers on employers.credit_code = pairs.credit_code
group by pairs.person_key, pairs.resident_id_masked, pairs.credit_code, pairs.effective_month,
    employers.region_code
