-- Insured spans per person and employer (参保区间), rebuilt from the change events: a change
-- undone by a reversal (回退) counts as if it never happened; a span runs from the month its
-- first start (参保/增员) takes effect up to, not including, the month of the stop
-- (减员/停保) that closes it. Repeated starts without a stop between them are one span.
with changes as (
    select * from {{ ref('stg_social_insurance__enrolment_changes') }}
),

reversed as (
    select distinct reverses_change_id as change_id
    from changes
    where change_effect = 'undo' and reverses_change_id is not null
),

effective as (
    select changes.*
    from changes
    left join reversed on reversed.change_id = changes.change_id
    where changes.change_effect in ('start', 'stop') and reversed.change_id is null
),

numbered as (
    -- Events between two stops form one span; a stop belongs to the span it closes. In one
    -- month a stop comes before a start: the stop ends cover before that month, the start
    -- begins it in that month (a move out and back in the same month).
    select
        *,
        coalesce(sum(case when change_effect = 'stop' then 1 else 0 end) over (
            partition by person_key, credit_code
            order by effective_month, change_effect = 'start', processing_date, change_id
            rows between unbounded preceding and 1 preceding
        ), 0) as span_number
    from effective
)

select
    person_key,
    credit_code,
    span_number,
    min(change_id) filter (where change_effect = 'start') as start_change_id,
    min(effective_month) filter (where change_effect = 'start') as span_start,
    min(effective_month) filter (where change_effect = 'stop') as span_end
from numbered
group by person_key, credit_code, span_number
having count(*) filter (where change_effect = 'start') > 0
