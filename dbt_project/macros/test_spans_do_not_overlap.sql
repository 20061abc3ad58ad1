{#- Half-open spans [start, end) of one key never overlap: each starts at or after the end of
    the one before it, and only the last may be open (a null end). -#}
{% test spans_do_not_overlap(model, partition_by, start_column, end_column) %}
with ordered as (
    select
        {{ partition_by | join(', ') }},
        {{ start_column }} as span_start,
        lag({{ end_column }}) over keyed as previous_end,
        lag({{ start_column }}) over keyed as previous_start
    from {{ model }}
    window keyed as (partition by {{ partition_by | join(', ') }} order by {{ start_column }})
)

select *
from ordered
where previous_start is not null
    and (previous_end is null or previous_end > span_start)
{% endtest %}
