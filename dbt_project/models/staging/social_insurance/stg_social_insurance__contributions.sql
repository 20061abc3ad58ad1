with source as (
    {{ latest_row(source('social_insurance', 'contributions'), ['resident_id', 'credit_code', 'period']) }}
)

select
    {{ person_key('resident_id') }} as person_key,
    credit_code,
    {{ month_start('period') }} as period_month,
    contribution_base::numeric(12, 2) as contribution_base,
    rate::numeric(7, 4) as rate,
    amount_due::numeric(12, 2) as amount_due,
    amount_paid::numeric(12, 2) as amount_paid,
    paid_date::date as paid_date,
    _batch_id as batch_id
from source
