{#- The identity of an anomaly case: a hash of the rule and the case's natural key, so the same
    case keeps the same key across rebuilds and its review status stays attached. -#}
{% macro anomaly_case_key(rule_code, parts) -%}
    md5('{{ rule_code }}|' || concat_ws('|', {{ parts | join(', ') }}))
{%- endmacro %}

{#- Statutory retirement date for a birth date and sex (ref_retirement_ages): the original age,
    plus one month for every N months the original date falls on or after the reform start, up
    to the target age. Women are taken as workers (工人) unless var female_worker_category says
    cadre; no feed records it. -#}
{% macro retirement_date(birth_date, sex) -%}
    (
        select (
            ({{ birth_date }} + make_interval(years => r.original_age_years))::date
            + make_interval(months => case
                when ({{ birth_date }} + make_interval(years => r.original_age_years))::date
                    < r.raise_starts_on then 0
                else least(
                    (
                        (extract(year from ({{ birth_date }} + make_interval(years => r.original_age_years)))
                            - extract(year from r.raise_starts_on)) * 12
                        + extract(month from ({{ birth_date }} + make_interval(years => r.original_age_years)))
                        - extract(month from r.raise_starts_on)
                    )::integer / r.raise_every_months + 1,
                    (r.target_age_years - r.original_age_years) * 12
                )
            end)
        )::date
        from {{ ref('ref_retirement_ages') }} as r
        where r.sex = {{ sex }}
            and r.worker_category in ('all', '{{ var("female_worker_category") }}')
        limit 1
    )
{%- endmacro %}

{#- The date audit waiting times are measured against: var audit_as_of, else the build date. -#}
{% macro audit_as_of() -%}
    {%- if var('audit_as_of') -%}'{{ var("audit_as_of") }}'::date{%- else -%}current_date{%- endif -%}
{%- endmacro %}
