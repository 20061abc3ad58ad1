-- People the public-security records show as dead (死亡/注销户籍) who are still insured after the
-- month of death, or still paid a benefit that ends at death (seed 003 §二15: 工亡人员纳入停保).
with deaths as (
    select person_key, resident_id_masked, min(death_date) as death_date
    from {{ ref('stg_public_security__death_records') }}
    group by person_key, resident_id_masked
),

still_insured as (
    select
        deaths.person_key,
        spans.credit_code,
        greatest(spans.span_start, (date_trunc('month', deaths.death_date) + interval '1 month')::date)
            as first_month_after_death
    from deaths
    inner join {{ ref('int_enrolment_spans') }} as spans
        on spans.person_key = deaths.person_key
        and (spans.span_end is null
            or spans.span_end > (date_trunc('month', deaths.death_date) + interval '1 month')::date)
),

still_paid as (
    select deaths.person_key, payments.credit_code, min(payments.payment_date) as paid_on
    from deaths
    inner join {{ ref('stg_social_insurance__benefit_payments') }} as payments
        on payments.person_key = deaths.person_key
        and payments.payment_date > deaths.death_date
        and payments.item in ({{ "'" ~ var('benefit_items_ending_at_death') | join("', '") ~ "'" }})
    group by deaths.person_key, payments.credit_code
),

flagged as (
    select
        deaths.person_key,
        deaths.resident_id_masked,
        deaths.death_date,
        coalesce(min(still_insured.credit_code), min(still_paid.credit_code)) as credit_code,
        min(still_insured.first_month_after_death) as insured_after_death_from,
        min(still_paid.paid_on) as paid_after_death_on
    from deaths
    left join still_insured on still_insured.person_key = deaths.person_key
    left join still_paid on still_paid.person_key = deaths.person_key
    group by deaths.person_key, deaths.resident_id_masked, deaths.death_date
    having count(still_insured.person_key) > 0 or count(still_paid.person_key) > 0
)

select
    {{ anomaly_case_key('deceased_still_insured', ['flagged.person_key']) }} as case_key,
    'deceased_still_insured' as rule_code,
    employers.region_code,
    date_trunc('month', flagged.death_date)::date as period_month,
    flagged.credit_code,
    flagged.person_key,
    flagged.resident_id_masked,
    to_char(flagged.death_date, 'YYYY-MM-DD') as reference_id,
    flagged.death_date,
    flagged.insured_after_death_from,
    flagged.paid_after_death_on
from flagged
left join {{ ref('int_employers') }} as employers on employers.credit_code = flagged.credit_code
