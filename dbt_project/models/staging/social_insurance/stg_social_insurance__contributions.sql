{#- Millions of rows a month at province scale: built by month (按月增量). A run rebuilds
    only the months the batches delivered since the last build touch (macros/incremental_by_month.sql);
    `dbt build --full-refresh` rebuilds every month. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['period_month']}],
    pre_hook="{{ month_rebuild_start('social_insurance', 'contributions', 'period') }}",
    post_hook="{{ month_rebuild_finish() }}",
) }}

with source as (
    {{ latest_row(
        source('social_insurance', 'contributions'),
        ['resident_id', 'credit_code', 'period'],
        where=month_rebuild_filter('period'),
    ) }}
)

select
    {{ person_key('resident_id') }} as person_key,
    credit_code,
    {{ month_start('period') }} as period_month,
    contribution_base::numeric(12, 2) as contribution_base,
    rate::numeric(7, 4) as rate,
    amount_due::numeric(12, 2) as amount_due,
    amount_paid::numeric(12, 2) as amount_paid,
    paid_date::date as paid_date,
    _batch_id as batch_id
from source
