-- One row per employer with its latest registry attributes (county, industry): the dimension
-- injuries and headcounts are grouped by.
with registry as (
    select
        *,
        row_number() over (partition by credit_code order by snapshot_date desc) as recency
    from {{ ref('stg_social_insurance__employers') }}
),

divisions as (
    select * from {{ ref('ref_industry_divisions') }}
)

select
    registry.credit_code,
    registry.employer_name,
    registry.region_code,
    registry.industry_code,
    substr(registry.industry_code, 1, 2) as industry_division,
    divisions.division_name,
    divisions.section_code
from registry
left join divisions on divisions.division_code = substr(registry.industry_code, 1, 2)
where registry.recency = 1
