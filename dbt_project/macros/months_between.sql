{#- Whole months from one first-of-month date to another (2024-03-01 to 2024-05-01 is 2). -#}
{% macro months_between(from_month, until_month) -%}
    ((extract(year from {{ until_month }}) * 12 + extract(month from {{ until_month }}))
     - (extract(year from {{ from_month }}) * 12 + extract(month from {{ from_month }})))::integer
{%- endmacro %}
