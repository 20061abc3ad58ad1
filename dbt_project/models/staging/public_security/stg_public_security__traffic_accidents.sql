with source as (
    {{ latest_row(source('public_security', 'traffic_accidents'), ['accident_id', 'resident_id']) }}
),

liability as (
    select * from {{ ref('ref_traffic_liability') }}
)

select
    source.accident_id,
    source.occurred_at::timestamp as occurred_at,
    source.region_code,
    {{ person_key('source.resident_id') }} as person_key,
    source.liability,
    liability.worker_mainly_at_fault as is_mainly_at_fault,
    source._batch_id as batch_id
from source
left join liability on liability.liability = source.liability
