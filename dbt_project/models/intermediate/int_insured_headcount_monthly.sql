{{ config(materialized='table', indexes=[{'columns': ['credit_code', 'headcount_month']}]) }}
-- Insured headcount per employer and month (月度参保人数): people with a span covering the
-- month. The basis of average insured headcount, the denominator of every injury rate.
with spans as (
    select * from {{ ref('int_enrolment_spans') }}
),

months as (
    select generate_series(
        (select min(span_start) from spans),
        (select max(coalesce(span_end, span_start)) from spans),
        interval '1 month'
    )::date as headcount_month
)

select
    spans.credit_code,
    months.headcount_month,
    count(distinct spans.person_key) as insured_headcount
from spans
inner join months
    on months.headcount_month >= spans.span_start
    and (spans.span_end is null or months.headcount_month < spans.span_end)
group by spans.credit_code, months.headcount_month
