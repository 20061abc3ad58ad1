-- High-risk groups (高发人群): recognised injuries, deaths and occupational-disease cases per
-- 1,000 average insured workers by year, sex and age band (ref_age_bands). Insured
-- person-months count each person's age on the first of the month; injuries the age on the
-- accident date; sex and birth date come from the resident ID. Migrant-worker status (农民工)
-- is in none of the feeds, so it is not a group here.
with spans as (
    select * from {{ ref('int_enrolment_spans') }}
),

people as (
    select * from {{ ref('int_people') }}
),

bands as (
    select * from {{ ref('ref_age_bands') }}
),

months as (
    select distinct headcount_month from {{ ref('int_insured_headcount_monthly') }}
),

insured as (
    select
        extract(year from months.headcount_month)::integer as rate_year,
        people.sex,
        bands.age_band,
        count(*) as person_months
    from spans
    inner join people on people.person_key = spans.person_key
    inner join months
        on months.headcount_month >= spans.span_start
        and (spans.span_end is null or months.headcount_month < spans.span_end)
    inner join bands
        on extract(year from age(months.headcount_month, people.birth_date))
            between bands.age_from and bands.age_to
    group by 1, 2, 3
),

deaths as (
    select distinct case_id
    from {{ ref('stg_social_insurance__benefit_payments') }}
    where item = '一次性工亡补助金'
),

cases as (
    select
        extract(year from injuries.accident_date)::integer as rate_year,
        coalesce(people.sex, injuries.sex) as sex,
        bands.age_band,
        count(*) as recognised_injuries,
        count(*) filter (where injuries.is_occupational_disease) as occupational_disease_cases,
        count(deaths.case_id) as work_deaths
    from {{ ref('stg_social_insurance__injury_recognitions') }} as injuries
    left join people on people.person_key = injuries.person_key
    left join deaths on deaths.case_id = injuries.case_id
    inner join bands
        on extract(year from age(injuries.accident_date, injuries.birth_date))
            between bands.age_from and bands.age_to
    where injuries.is_recognised
    group by 1, 2, 3
),

joined as (
    select
        coalesce(insured.rate_year, cases.rate_year) as rate_year,
        coalesce(insured.sex, cases.sex) as sex,
        coalesce(insured.age_band, cases.age_band) as age_band,
        coalesce(insured.person_months, 0) / 12.0 as avg_insured_workers,
        coalesce(cases.recognised_injuries, 0) as recognised_injuries,
        coalesce(cases.occupational_disease_cases, 0) as occupational_disease_cases,
        coalesce(cases.work_deaths, 0) as work_deaths
    from insured
    full outer join cases
        on cases.rate_year = insured.rate_year
        and cases.sex = insured.sex
        and cases.age_band = insured.age_band
)

select
    rate_year::integer as rate_year,
    sex::text as sex,
    age_band::text as age_band,
    round(avg_insured_workers, 2)::numeric(12, 2) as avg_insured_workers,
    recognised_injuries::integer as recognised_injuries,
    occupational_disease_cases::integer as occupational_disease_cases,
    work_deaths::integer as work_deaths,
    round(recognised_injuries * 1000.0 / nullif(avg_insured_workers, 0), 4)::numeric(12, 4)
        as injury_rate_per_mille,
    round(work_deaths * 1000.0 / nullif(avg_insured_workers, 0), 4)::numeric(12, 4)
        as death_rate_per_mille,
    (dense_rank() over (
        partition by rate_year
        order by recognised_injuries * 1000.0 / nullif(avg_insured_workers, 0) desc nulls last
    ))::integer as rank_in_year
from joined
