-- The fund per pooling region and year (工伤保险基金年度收支), the deficit flag (收不抵支) and the
-- prevention fee against the previous year's contribution income: cap 3% (1% after a deficit
-- year), local floor 1.6%, training share ≥ 70% (ref_prevention_fee_rules).
with monthly as (
    select * from {{ ref('fct_fund_monthly') }}
),

projects as (
    select * from {{ ref('stg_social_insurance__prevention_projects') }}
),

rules as (
    select
        max(value) filter (where rule = 'cap_share') as cap_share,
        max(value) filter (where rule = 'cap_share_after_deficit') as cap_share_after_deficit,
        max(value) filter (where rule = 'floor_share') as floor_share,
        max(value) filter (where rule = 'training_share_min') as training_share_min
    from {{ ref('ref_prevention_fee_rules') }}
),

yearly as (
    select
        region_code,
        extract(year from ledger_month)::integer as fund_year,
        sum(contribution_income) as contribution_income,
        sum(total_income) as total_income,
        sum(benefit_expenditure) as benefit_expenditure,
        sum(prevention_expenditure) as prevention_expenditure,
        sum(total_expenditure) as total_expenditure,
        (array_agg(opening_balance order by ledger_month))[1] as opening_balance,
        (array_agg(closing_balance order by ledger_month desc))[1] as closing_balance,
        count(*) filter (where not is_reconciled) as months_not_reconciled
    from monthly
    group by region_code, extract(year from ledger_month)
),

-- Project payments (prepayments and balances) by the year they were paid.
project_payments as (
    select region_code, project_type, extract(year from prepayment_date)::integer as paid_year,
           prepayment_amount as amount
    from projects where prepayment_date is not null
    union all
    select region_code, project_type, extract(year from balance_date)::integer, balance_amount
    from projects where balance_date is not null
),

training as (
    select
        region_code,
        paid_year,
        sum(amount) filter (where project_type = '培训') as training_paid,
        sum(amount) as projects_paid
    from project_payments
    group by region_code, paid_year
),

with_previous as (
    select
        yearly.*,
        lag(yearly.contribution_income) over w as previous_contribution_income,
        lag(yearly.total_income < yearly.total_expenditure) over w as previous_year_deficit
    from yearly
    window w as (partition by yearly.region_code order by yearly.fund_year)
)

select
    with_previous.region_code::text as region_code,
    with_previous.fund_year::integer as fund_year,
    with_previous.contribution_income::numeric(16, 2) as contribution_income,
    with_previous.total_income::numeric(16, 2) as total_income,
    with_previous.benefit_expenditure::numeric(16, 2) as benefit_expenditure,
    with_previous.prevention_expenditure::numeric(16, 2) as prevention_expenditure,
    with_previous.total_expenditure::numeric(16, 2) as total_expenditure,
    (with_previous.total_income - with_previous.total_expenditure)::numeric(16, 2) as surplus,
    (with_previous.total_income < with_previous.total_expenditure) as is_deficit,
    with_previous.opening_balance::numeric(16, 2) as opening_balance,
    with_previous.closing_balance::numeric(16, 2) as closing_balance,
    with_previous.months_not_reconciled::integer as months_not_reconciled,
    with_previous.previous_contribution_income::numeric(16, 2) as previous_contribution_income,
    round(with_previous.prevention_expenditure
        / nullif(with_previous.previous_contribution_income, 0), 6)::numeric(9, 6)
        as prevention_fee_ratio,
    (case when with_previous.previous_year_deficit then rules.cap_share_after_deficit
          else rules.cap_share end)::numeric(6, 4) as prevention_fee_cap,
    rules.floor_share::numeric(6, 4) as prevention_fee_floor,
    (with_previous.prevention_expenditure > with_previous.previous_contribution_income
        * case when with_previous.previous_year_deficit then rules.cap_share_after_deficit
               else rules.cap_share end) as is_over_cap,
    (with_previous.prevention_expenditure
        < with_previous.previous_contribution_income * rules.floor_share) as is_under_floor,
    round(training.training_paid / nullif(training.projects_paid, 0), 4)::numeric(6, 4)
        as training_share,
    (training.training_paid >= training.projects_paid * rules.training_share_min)
        as is_training_share_met
from with_previous
cross join rules
left join training
    on training.region_code = with_previous.region_code
    and training.paid_year = with_previous.fund_year
