with source as (
    {{ latest_row(source('social_insurance', 'prevention_projects'), ['project_id']) }}
)

select
    project_id,
    region_code,
    project_name,
    project_type,
    contractor,
    contract_amount::numeric(14, 2) as contract_amount,
    contract_date::date as contract_date,
    prepayment_amount::numeric(14, 2) as prepayment_amount,
    prepayment_date::date as prepayment_date,
    acceptance_date::date as acceptance_date,
    acceptance_result,
    balance_amount::numeric(14, 2) as balance_amount,
    balance_date::date as balance_date,
    _batch_id as batch_id
from source
