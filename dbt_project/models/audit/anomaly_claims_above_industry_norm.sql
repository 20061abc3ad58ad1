-- Employers whose injury claims per insured head far exceed their industry's (理赔率异常):
-- recognised injuries per 1,000 average insured in a year above var claims_norm_multiple times
-- the rate of the whole GB/T 4754 division that year, with at least var claims_norm_min_cases
-- cases and var claims_norm_min_insured average insured. A screening lead, not a finding.
with headcount as (
    select
        credit_code,
        extract(year from headcount_month)::integer as claim_year,
        sum(insured_headcount) / 12.0 as avg_insured
    from {{ ref('int_insured_headcount_monthly') }}
    group by 1, 2
),

claims as (
    select credit_code, extract(year from accident_date)::integer as claim_year, count(*) as cases
    from {{ ref('stg_social_insurance__injury_recognitions') }}
    where is_recognised
    group by 1, 2
),

employer_rates as (
    select
        headcount.credit_code,
        headcount.claim_year,
        employers.industry_division,
        employers.region_code,
        headcount.avg_insured,
        coalesce(claims.cases, 0) as cases
    from headcount
    inner join {{ ref('int_employers') }} as employers
        on employers.credit_code = headcount.credit_code
    left join claims
        on claims.credit_code = headcount.credit_code
        and claims.claim_year = headcount.claim_year
),

division_rates as (
    select
        industry_division,
        claim_year,
        sum(cases) * 1000.0 / nullif(sum(avg_insured), 0) as division_rate
    from employer_rates
    group by 1, 2
)

select
    {{ anomaly_case_key('claims_above_industry_norm', ['employer_rates.credit_code', 'employer_rates.claim_year::text']) }} as case_key,
    'claims_above_industry_norm' as rule_code,
    employer_rates.region_code,
    make_date(employer_rates.claim_year, 1, 1) as period_month,
    employer_rates.credit_code,
    null::text as person_key,
    null::text as resident_id_masked,
    employer_rates.claim_year::text as reference_id,
    employer_rates.cases::integer as recognised_injuries,
    round(employer_rates.avg_insured, 1) as avg_insured,
    round(employer_rates.cases * 1000.0 / employer_rates.avg_insured, 2) as employer_rate_per_mille,
    round(division_rates.division_rate, 2) as division_rate_per_mille
from employer_rates
inner join division_rates
    on division_rates.industry_division = employer_rates.industry_division
    and division_rates.claim_year = employer_rates.claim_year
where employer_rates.cases >= {{ var('claims_norm_min_cases') }}
    and employer_rates.avg_insured >= {{ var('claims_norm_min_insured') }}
    and employer_rates.cases * 1000.0 / employer_rates.avg_insured
        > {{ var('claims_norm_multiple') }} * division_rates.division_rate
