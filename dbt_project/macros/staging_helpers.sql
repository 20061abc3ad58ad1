{#- Helpers shared by the staging models. Raw tables hold canonical text (ISO dates, ASCII
    digits) written by the loader, so casts here cannot fail on a loaded row. -#}

{#- The latest delivery of each key: a corrected re-delivery wins over the first (file ids
    increase in load order, raw.files). `where` narrows the raw rows read (an incremental
    model's months); it must keep whole keys. -#}
{% macro latest_row(relation, key, where='') %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key | join(', ') }}
                order by _file_id desc, _row_number desc
            ) as _recency
        from {{ relation }}
        {{ where }}
    ) as ranked
    where _recency = 1
{% endmacro %}

{#- Salted hash of a resident ID (util.person_key); names and ID numbers stop at staging. -#}
{% macro person_key(column) -%}
    util.person_key({{ column }})
{%- endmacro %}

{#- Birth date held in digits 7–14 of a GB 11643 resident ID. -#}
{% macro birth_date_from_id(column) -%}
    to_date(substr({{ column }}, 7, 8), 'YYYYMMDD')
{%- endmacro %}

{#- Sex from the 17th digit of a resident ID: odd 男, even 女. -#}
{% macro sex_from_id(column) -%}
    case when substr({{ column }}, 17, 1)::integer % 2 = 1 then '男' else '女' end
{%- endmacro %}

{#- 'YYYY-MM' (canonical month text) to the first day of that month. -#}
{% macro month_start(column) -%}
    to_date({{ column }} || '-01', 'YYYY-MM-DD')
{%- endmacro %}

{#- A resident ID as people may see it: first four and last four characters (1508**********123X). -#}
{% macro mask_id(column) -%}
    case when {{ column }} is not null then
        left({{ column }}, 4) || repeat('*', greatest(length({{ column }}) - 8, 0)) || right({{ column }}, 4)
    end
{%- endmacro %}

{#- A name as people may see it: the surname and one star per other character (王**). -#}
{% macro mask_name(column) -%}
    case when {{ column }} is not null then
        left({{ column }}, 1) || repeat('*', greatest(char_length({{ column }}) - 1, 1))
    end
{%- endmacro %}

{#- A phone number as people may see it: first three and last four digits (138****1234). -#}
{% macro mask_phone(column) -%}
    case when {{ column }} is not null then
        left({{ column }}, 3) || repeat('*', greatest(length({{ column }}) - 7, 1)) || right({{ column }}, 4)
    end
{%- endmacro %}
