-- Cases per rule and month (疑点数月度统计), for each county and the whole pooling region:
-- the trend in the anomaly report and the monthly bulletin. A case of unknown county counts
-- for the pooling region only.
with cases as (
    select * from {{ ref('fct_anomaly_cases') }}
),

by_scope as (
    select period_month, region_code, 'county' as region_level, rule_code, rule_name,
           severity, review_status
    from cases
    where region_code is not null and region_code <> '{{ var("pooling_region_code") }}'
    union all
    select period_month, '{{ var("pooling_region_code") }}', 'pooling_region', rule_code,
           rule_name, severity, review_status
    from cases
)

select
    period_month::date as period_month,
    region_code::text as region_code,
    region_level::text as region_level,
    rule_code::text as rule_code,
    rule_name::text as rule_name,
    severity::text as severity,
    count(*)::integer as cases,
    (count(*) filter (where review_status = 'open'))::integer as open_cases
from by_scope
group by 1, 2, 3, 4, 5, 6
