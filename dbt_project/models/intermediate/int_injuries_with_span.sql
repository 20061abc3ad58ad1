-- Each injury-recognition case with the enrolment span in force in the accident month
-- (事故发生时的参保区间): the applying employer's span when it covers the accident, else any
-- other employer's, else none. Also the first enrolment with the applicant, for the
-- injured-before-insured check (先伤后保).
with injuries as (
    select
        case_id,
        person_key,
        credit_code,
        accident_date,
        date_trunc('month', accident_date)::date as accident_month,
        is_recognised
    from {{ ref('stg_social_insurance__injury_recognitions') }}
),

spans as (
    select * from {{ ref('int_enrolment_spans') }}
),

enrolled_on as (
    select change_id, processing_date
    from {{ ref('stg_social_insurance__enrolment_changes') }}
),

covering as (
    select
        injuries.case_id,
        spans.credit_code,
        spans.span_start,
        spans.span_end,
        row_number() over (
            partition by injuries.case_id
            order by spans.credit_code = injuries.credit_code desc, spans.span_start desc
        ) as preference
    from injuries
    inner join spans
        on spans.person_key = injuries.person_key
        and spans.span_start <= injuries.accident_month
        and (spans.span_end is null or injuries.accident_month < spans.span_end)
),

first_with_applicant as (
    select
        injuries.case_id,
        min(spans.span_start) as first_insured_month,
        min(enrolled_on.processing_date) as first_enrolled_on
    from injuries
    inner join spans
        on spans.person_key = injuries.person_key
        and spans.credit_code = injuries.credit_code
    left join enrolled_on on enrolled_on.change_id = spans.start_change_id
    group by injuries.case_id
)

select
    injuries.case_id,
    injuries.person_key,
    injuries.credit_code,
    injuries.accident_date,
    injuries.is_recognised,
    covering.credit_code as covering_credit_code,
    covering.span_start as covering_span_start,
    covering.span_end as covering_span_end,
    covering.case_id is not null as is_insured_at_accident,
    coalesce(covering.credit_code = injuries.credit_code, false) as is_insured_by_applicant,
    first_with_applicant.first_insured_month,
    first_with_applicant.first_enrolled_on,
    injuries.accident_date - first_with_applicant.first_enrolled_on as days_enrolled_before_accident
from injuries
left join covering on covering.case_id = injuries.case_id and covering.preference = 1
left join first_with_applicant on first_with_applicant.case_id = injuries.case_id
