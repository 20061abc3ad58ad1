{#- Built by month after stg_social_insurance__contributions: a run re-aggregates only the
    months rebuilt there (macros/incremental_by_month.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['credit_code', 'period_month']}, {'columns': ['period_month']}],
    pre_hook="{{ month_follow_start('stg_social_insurance__contributions') }}",
    post_hook="{{ month_follow_finish() }}",
) }}
-- Contribution wage history per employer and month (单位月度缴费): contributors, declared
-- bases (缴费基数) and amounts due and paid. The basis of 支缴率 and of the falling-base check.
select
    credit_code,
    period_month,
    count(distinct person_key)::integer as contributors,
    sum(contribution_base)::numeric(16, 2) as total_contribution_base,
    round(avg(contribution_base), 2)::numeric(12, 2) as avg_contribution_base,
    sum(amount_due)::numeric(16, 2) as amount_due,
    sum(amount_paid)::numeric(16, 2) as amount_paid
from {{ ref('stg_social_insurance__contributions') }}
{{ month_follow_filter() }}
group by credit_code, period_month
