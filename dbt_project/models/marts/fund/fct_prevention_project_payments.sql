-- Payment compliance of each prevention project (工伤预防项目资金拨付): the prepayment must lie
-- within 30%–70% of the contract and the balance may be paid only after passed acceptance
-- (seed 002 §四(三)2, seed 004 §四(三); shares in ref_prevention_fee_rules).
with projects as (
    select * from {{ ref('stg_social_insurance__prevention_projects') }}
),

rules as (
    select
        max(value) filter (where rule = 'prepayment_min_share') as prepayment_min_share,
        max(value) filter (where rule = 'prepayment_max_share') as prepayment_max_share
    from {{ ref('ref_prevention_fee_rules') }}
),

checked as (
    select
        projects.*,
        projects.prepayment_amount / nullif(projects.contract_amount, 0) as prepayment_share,
        rules.prepayment_min_share,
        rules.prepayment_max_share,
        projects.balance_date is not null and not coalesce(
            projects.acceptance_result = '合格' and projects.acceptance_date <= projects.balance_date,
            false
        ) as is_balance_before_acceptance
    from projects
    cross join rules
)

select
    project_id::text as project_id,
    region_code::text as region_code,
    project_type::text as project_type,
    extract(year from contract_date)::integer as contract_year,
    contract_date,
    contract_amount::numeric(14, 2) as contract_amount,
    prepayment_amount::numeric(14, 2) as prepayment_amount,
    prepayment_date,
    round(prepayment_share, 4)::numeric(7, 4) as prepayment_share,
    (prepayment_amount is null
        or prepayment_share between prepayment_min_share and prepayment_max_share)
        as is_prepayment_in_range,
    acceptance_date,
    acceptance_result::text as acceptance_result,
    balance_amount::numeric(14, 2) as balance_amount,
    balance_date,
    is_balance_before_acceptance,
    (coalesce(prepayment_amount, 0) + coalesce(balance_amount, 0))::numeric(14, 2) as paid_amount,
    (coalesce(prepayment_amount, 0) + coalesce(balance_amount, 0)
        > contract_amount) as is_overpaid,
    (
        (prepayment_amount is null
            or prepayment_share between prepayment_min_share and prepayment_max_share)
        and not is_balance_before_acceptance
        and coalesce(prepayment_amount, 0) + coalesce(balance_amount, 0) <= contract_amount
    ) as is_compliant
from checked
