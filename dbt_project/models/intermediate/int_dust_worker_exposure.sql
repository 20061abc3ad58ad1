-- Person-level exposure of dust-exposed workers (接尘劳动者): one row per roster year, enterprise
-- and person, with whether an enrolment span at that enterprise covered December of the year
-- and whether the person had an occupational health exam there in the year (职业健康检查).
with roster as (
    select * from {{ ref('stg_health__dust_workers') }}
),

spans as (
    select * from {{ ref('int_enrolment_spans') }}
),

exams as (
    select distinct person_key, credit_code, extract(year from exam_date)::integer as exam_year
    from {{ ref('stg_health__health_exams') }}
),

people as (
    select
        roster_year,
        credit_code,
        person_key,
        min(position) as position,
        min(hazard) as hazard,
        min(exposure_start_date) as exposure_start_date
    from roster
    group by roster_year, credit_code, person_key
),

-- Joins, not EXISTS in the select list: Postgres runs a correlated EXISTS there once per
-- roster row, each a scan of every span (minutes at a city's hundred thousand workers).
insured_in_december as (
    select distinct people.roster_year, people.credit_code, people.person_key
    from people
    inner join spans
        on spans.person_key = people.person_key
        and spans.credit_code = people.credit_code
    where spans.span_start <= make_date(people.roster_year, 12, 1)
        and (spans.span_end is null or spans.span_end > make_date(people.roster_year, 12, 1))
)

select
    people.roster_year,
    people.credit_code,
    people.person_key,
    people.position,
    people.hazard,
    people.exposure_start_date,
    insured_in_december.person_key is not null as is_insured_in_december,
    exams.person_key is not null as had_exam_in_year
from people
left join insured_in_december
    on insured_in_december.roster_year = people.roster_year
    and insured_in_december.credit_code = people.credit_code
    and insured_in_december.person_key = people.person_key
left join exams
    on exams.person_key = people.person_key
    and exams.credit_code = people.credit_code
    and exams.exam_year = people.roster_year
