with source as (
    {{ latest_row(source('emergency_management', 'safety_accidents'), ['accident_id']) }}
)

select
    accident_id,
    occurred_at::timestamp as occurred_at,
    region_code,
    credit_code,
    enterprise_name,
    industry_code,
    substr(industry_code, 1, 2) as industry_division,
    accident_category,
    deaths::integer as deaths,
    serious_injuries::integer as serious_injuries,
    minor_injuries::integer as minor_injuries,
    direct_loss::numeric(14, 2) as direct_loss_10k_yuan,
    _batch_id as batch_id
from source
