{{ config(materialized='table_when_inputs_change',
          indexes=[{'columns': ['credit_code', 'headcount_month']}]) }}
-- Insured headcount per employer and month (月度参保人数): people with a span covering the
-- month. The basis of average insured headcount, the denominator of every injury rate.
--
-- Counted from the spans' edges rather than by joining every span to every month: a span adds
-- one from its first month and takes one away from its end month, and the running sum holds
-- until an employer's next edge. That reads each span once (a join of spans to months is
-- spans × months comparisons: minutes at a province's millions of spans). It equals counting
-- distinct people because one person's spans at one employer never overlap (each ends where
-- the next may begin; tested on int_enrolment_spans).
with spans as (
    select credit_code, span_start, span_end from {{ ref('int_enrolment_spans') }}
),

last_month as (
    -- the series runs to the latest month any span starts or ends in; open spans reach it
    select max(coalesce(span_end, span_start)) as headcount_month from spans
),

edges as (
    select credit_code, span_start as edge_month, 1 as change from spans
    union all
    select credit_code, span_end as edge_month, -1 as change from spans where span_end is not null
),

levels as (
    select
        credit_code,
        edge_month,
        sum(sum(change)) over employer_months as insured_headcount,
        lead(edge_month) over employer_months as next_edge_month
    from edges
    group by credit_code, edge_month
    window employer_months as (partition by credit_code order by edge_month)
)

select
    levels.credit_code,
    months.headcount_month::date as headcount_month,
    levels.insured_headcount::bigint as insured_headcount
from levels
cross join last_month
cross join lateral generate_series(
    levels.edge_month,
    coalesce(levels.next_edge_month - interval '1 month', last_month.headcount_month),
    interval '1 month'
) as months (headcount_month)
where levels.insured_headcount > 0
