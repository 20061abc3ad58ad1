{#- Final select shared by the coverage marts: rate, target, gap in people, on-track flag.
    The gap is the number of people still to insure to reach the target: ceil(target × required)
    − insured, never below zero. Rates and gaps are null when the year has no registry snapshot. -#}
{% macro coverage_columns(relation, extra_keys) %}
select
    {{ relation }}.roster_year::integer as coverage_year,
    {{ relation }}.region_code::text as region_code,
    regions.region_name::text as region_name,
    {% for key in extra_keys %}{{ relation }}.{{ key }}::text as {{ key }},
    {% endfor -%}
    {{ relation }}.snapshot_date::date as snapshot_date,
    {{ relation }}.enterprise_count::integer as enterprise_count,
    {{ relation }}.uninsured_enterprise_count::integer as uninsured_enterprise_count,
    {{ relation }}.workers_required::integer as workers_required,
    {{ relation }}.workers_insured::integer as workers_insured,
    {{ coverage_measures(relation ~ '.workers_required', relation ~ '.workers_insured', 'targets.target_rate') }}
from {{ relation }}
left join {{ ref('ref_regions') }} as regions
    on regions.region_code = {{ relation }}.region_code
left join {{ ref('ref_coverage_targets') }} as targets
    on targets.target_year = {{ relation }}.roster_year
{% endmacro %}

{#- Coverage rate, target, gap in people and on-track flag from required and insured headcounts
    and the year's target: the measures every coverage mart shares. -#}
{% macro coverage_measures(required, insured, target) -%}
    round({{ insured }}::numeric / nullif({{ required }}, 0), 4)::numeric(7, 4) as coverage_rate,
    {{ target }}::numeric(5, 4) as target_rate,
    greatest(ceil({{ target }} * {{ required }}) - {{ insured }}, 0)::integer as gap_workers,
    ({{ insured }} >= ceil({{ target }} * {{ required }}))::boolean as is_on_track
{%- endmacro %}
