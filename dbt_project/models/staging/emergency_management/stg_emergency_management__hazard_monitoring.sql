with source as (
    {{ latest_row(source('emergency_management', 'hazard_monitoring'), ['record_id']) }}
)

select
    record_id,
    credit_code,
    monitoring_date::date as monitoring_date,
    hazard,
    position,
    measured_value::numeric(14, 3) as measured_value,
    limit_value::numeric(14, 3) as limit_value,
    unit,
    measured_value::numeric > limit_value::numeric as exceeds_limit,
    _batch_id as batch_id
from source
