-- One row per employer with its latest registry attributes (county, industry, risk class) and
-- the key-industry sets it falls in: the dimension injuries and headcounts are grouped by.
with registry as (
    select
        *,
        row_number() over (partition by credit_code order by snapshot_date desc) as recency
    from {{ ref('stg_social_insurance__employers') }}
),

divisions as (
    select * from {{ ref('ref_industry_divisions') }}
),

risk_classes as (
    select division_code, risk_class from {{ ref('ref_industry_risk_classes') }}
),

-- Seeds list GB/T 4754 codes (division or class) space separated; an industry code belongs to
-- the set when it starts with one of them.
dust_codes as (
    select industry_category, unnest(string_to_array(gb4754_divisions, ' ')) as code_prefix
    from {{ ref('ref_dust_key_industries') }}
),

accident_codes as (
    select industry_category, unnest(string_to_array(gb4754_divisions, ' ')) as code_prefix
    from {{ ref('ref_accident_key_industries') }}
),

latest as (
    select * from registry where recency = 1
)

select
    latest.credit_code,
    latest.employer_name,
    latest.region_code,
    latest.industry_code,
    substr(latest.industry_code, 1, 2) as industry_division,
    divisions.division_name,
    divisions.section_code,
    risk_classes.risk_class,
    (
        select dust_codes.industry_category from dust_codes
        where latest.industry_code like dust_codes.code_prefix || '%'
        order by length(dust_codes.code_prefix) desc limit 1
    ) as dust_key_industry,
    (
        select accident_codes.industry_category from accident_codes
        where latest.industry_code like accident_codes.code_prefix || '%'
        order by length(accident_codes.code_prefix) desc limit 1
    ) as accident_key_industry
from latest
left join divisions on divisions.division_code = substr(latest.industry_code, 1, 2)
left join risk_classes on risk_classes.division_code = substr(latest.industry_code, 1, 2)
