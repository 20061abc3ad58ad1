{#- The rate a year should not exceed on the path from the baseline (ref_injury_rate_targets:
    −20% by 2025 against 2020): baseline × (1 − reduction × years since the baseline ÷ the
    plan's years), flat after the target year. `target` is the seed's row. -#}
{% macro target_path_rate(baseline_rate, rate_year, target='target') -%}
    {{ baseline_rate }} * (1 - {{ target }}.target_reduction * least(
        greatest({{ rate_year }} - {{ target }}.baseline_year, 0)::numeric
        / ({{ target }}.target_year - {{ target }}.baseline_year), 1
    ))
{%- endmacro %}
