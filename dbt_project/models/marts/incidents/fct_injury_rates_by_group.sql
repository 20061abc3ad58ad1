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

-- The series of months ends where the headcount's does: the latest month a span starts or
-- ends in; open spans reach it.
last_month as (
    select max(coalesce(span_end, span_start)) as month from spans
),

-- Person-months by year without a row per person and month (a province has hundreds of
-- millions): each span is cut into calendar years, and within a year a person has one age
-- before the month their birthday has passed by its first day and one from then on.
-- age(first of month, birth date) in whole years is year - birth year, less one before that
-- month; it is the month of the birthday when born on the 1st, else the month after.
span_years as (
    select
        years.rate_year,
        people.sex,
        extract(year from people.birth_date)::integer as birth_year,
        greatest(spans.span_start, make_date(years.rate_year, 1, 1)) as from_month,
        least(
            coalesce(spans.span_end, (last_month.month + interval '1 month')::date),
            make_date(years.rate_year + 1, 1, 1)
        ) as until_month,
        (make_date(years.rate_year, extract(month from people.birth_date)::integer, 1)
            + case when extract(day from people.birth_date) = 1 then interval '0 months'
                   else interval '1 month' end)::date as birthday_month
    from spans
    inner join people on people.person_key = spans.person_key
    cross join last_month
    cross join lateral generate_series(
        extract(year from spans.span_start)::integer,
        extract(year from coalesce((spans.span_end - interval '1 month')::date,
                                   last_month.month))::integer
    ) as years (rate_year)
    where coalesce(spans.span_end, (last_month.month + interval '1 month')::date)
        > spans.span_start
),

age_months as (
    select rate_year, sex, rate_year - birth_year - 1 as age,
           {{ months_between('from_month', 'least(until_month, birthday_month)') }} as months
    from span_years
    union all
    select rate_year, sex, rate_year - birth_year as age,
           {{ months_between('greatest(from_month, birthday_month)', 'until_month') }} as months
    from span_years
),

insured as (
    select
        age_months.rate_year,
        age_months.sex,
        bands.age_band,
        sum(age_months.months) as person_months
    from age_months
    inner join bands on age_months.age between bands.age_from and bands.age_to
    where age_months.months > 0
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
