with source as (
    {{ latest_row(source('social_insurance', 'fund_ledger'), ['region_code', 'month', 'item']) }}
),

items as (
    select * from {{ ref('ref_fund_ledger_items') }}
)

select
    source.region_code,
    {{ month_start('source.month') }} as ledger_month,
    source.item,
    items.direction,
    source.amount::numeric(16, 2) as amount,
    source._batch_id as batch_id
from source
left join items on items.item = source.item
