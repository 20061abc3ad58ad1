{#- No dbt Hub here: a small stand-in for dbt_utils.unique_combination_of_columns. -#}
{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
