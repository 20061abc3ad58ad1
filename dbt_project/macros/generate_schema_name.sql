{#- Layers live in fixed schemas (staging, intermediate, marts, audit, reference) so that
    roles can be granted per schema; the target's default schema is used only as a fallback.
    With write_audit_publish (the production build), the published schemas are written to
    <schema>_build first; workcomp's publish step moves what the quality suites passed. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = (custom_schema_name or target.schema) | trim -%}
    {%- if var('write_audit_publish', false) and schema in var('published_schemas') -%}
        {{ schema }}_build
    {%- else -%}
        {{ schema }}
    {%- endif -%}
{%- endmacro %}
