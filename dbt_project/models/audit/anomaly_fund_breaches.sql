-- Fund and prevention-fee breaches (seed 002 §四(三), seed 003 §二6): prevention fee over its
-- cap or under the local floor, training share short, project prepayment outside 30–70%,
-- balance paid before passed acceptance, and ledger months that do not balance.
with yearly as (
    select * from {{ ref('fct_fund_yearly') }}
),

projects as (
    select * from {{ ref('fct_prevention_project_payments') }}
),

monthly as (
    select * from {{ ref('fct_fund_monthly') }}
),

cases as (
    select 'prevention_fee_over_cap' as rule_code, region_code, make_date(fund_year, 1, 1) as period_month,
           fund_year::text as reference_id,
           format('预防费占比 %s%%, 上限 %s%%', round(prevention_fee_ratio * 100, 2), round(prevention_fee_cap * 100, 2)) as detail
    from yearly where is_over_cap
    union all
    select 'prevention_fee_under_floor', region_code, make_date(fund_year, 1, 1), fund_year::text,
           format('预防费占比 %s%%, 下限 %s%%', round(prevention_fee_ratio * 100, 2), round(prevention_fee_floor * 100, 2))
    from yearly where is_under_floor
    union all
    select 'training_share_short', region_code, make_date(fund_year, 1, 1), fund_year::text,
           format('培训费占比 %s%%', round(training_share * 100, 1))
    from yearly where not is_training_share_met
    union all
    select 'prepayment_out_of_range', region_code, date_trunc('month', contract_date)::date, project_id,
           format('预付 %s / 合同 %s (%s%%)', prepayment_amount, contract_amount, round(prepayment_share * 100, 1))
    from projects where not is_prepayment_in_range
    union all
    select 'balance_before_acceptance', region_code, date_trunc('month', balance_date)::date, project_id,
           format('尾款 %s 于 %s 支付, 验收 %s (%s)', balance_amount, balance_date, coalesce(acceptance_date::text, '—'), acceptance_result)
    from projects where is_balance_before_acceptance
    union all
    select 'fund_ledger_break', region_code, ledger_month, to_char(ledger_month, 'YYYY-MM'),
           format('期初 %s + 收入 %s − 支出 %s ≠ 期末 %s', opening_balance, total_income, total_expenditure, closing_balance)
    from monthly where not is_reconciled
)

select
    md5(rule_code || '|' || region_code || '|' || reference_id) as case_key,
    rule_code,
    region_code,
    period_month,
    null::text as credit_code,
    null::text as person_key,
    null::text as resident_id_masked,
    reference_id,
    detail
from cases
