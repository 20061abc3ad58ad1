-- The fund ledger per pooling region and month (工伤保险基金月度收支): income, expenditure,
-- the reported balances, and whether opening + income − expenditure equals the closing balance.
with ledger as (
    select * from {{ ref('stg_social_insurance__fund_ledger') }}
),

monthly as (
    select
        region_code,
        ledger_month,
        sum(amount) filter (where item = '征缴收入') as contribution_income,
        sum(amount) filter (where direction = '收入') as total_income,
        sum(amount) filter (where item = '工伤保险待遇支出') as benefit_expenditure,
        sum(amount) filter (where item = '工伤预防费支出') as prevention_expenditure,
        sum(amount) filter (where direction = '支出') as total_expenditure,
        sum(amount) filter (where item = '期初结余') as opening_balance,
        sum(amount) filter (where item = '期末结余') as closing_balance
    from ledger
    group by region_code, ledger_month
)

select
    region_code::text as region_code,
    ledger_month::date as ledger_month,
    coalesce(contribution_income, 0)::numeric(16, 2) as contribution_income,
    coalesce(total_income, 0)::numeric(16, 2) as total_income,
    coalesce(benefit_expenditure, 0)::numeric(16, 2) as benefit_expenditure,
    coalesce(prevention_expenditure, 0)::numeric(16, 2) as prevention_expenditure,
    coalesce(total_expenditure, 0)::numeric(16, 2) as total_expenditure,
    opening_balance::numeric(16, 2) as opening_balance,
    closing_balance::numeric(16, 2) as closing_balance,
    (opening_balance + coalesce(total_income, 0) - coalesce(total_expenditure, 0)
        - closing_balance)::numeric(16, 2) as reconciliation_difference,
    (opening_balance + coalesce(total_income, 0) - coalesce(total_expenditure, 0)
        = closing_balance) as is_reconciled
from monthly
