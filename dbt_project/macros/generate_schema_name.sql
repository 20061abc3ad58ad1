{#- Layers live in fixed schemas (staging, intermediate, marts, audit, reference) so that
    roles can be granted per schema; the target's default schema is used only as a fallback. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
