-- Each employer's 支缴率 (benefits paid ÷ contributions paid in the assessment year) and the
-- floating-rate tier it implies for the next year (费率浮动, seed 002 §三(六), 004 §三(七)).
-- Tier thresholds: ref_rate_float_tiers (local); base rates and the class-1 up-only rule:
-- ref_risk_classes (人社部发〔2015〕71号). Employers without twelve contributing months in the
-- year stay at base, as do those with nothing paid in.
with contributions as (
    select
        credit_code,
        extract(year from period_month)::integer as assessment_year,
        count(*) filter (where contributors > 0) as months_contributing,
        sum(amount_paid) as contributions_paid
    from {{ ref('int_employer_contributions_monthly') }}
    group by 1, 2
),

benefits as (
    select
        credit_code,
        extract(year from payment_date)::integer as assessment_year,
        sum(amount) as benefits_paid
    from {{ ref('stg_social_insurance__benefit_payments') }}
    group by 1, 2
),

employers as (
    select * from {{ ref('int_employers') }}
),

classes as (
    select * from {{ ref('ref_risk_classes') }}
),

tiers as (
    select * from {{ ref('ref_rate_float_tiers') }}
),

rated as (
    select
        contributions.credit_code,
        contributions.assessment_year,
        employers.region_code,
        employers.industry_division,
        employers.risk_class,
        classes.base_rate,
        classes.floats_down,
        contributions.months_contributing,
        contributions.contributions_paid,
        coalesce(benefits.benefits_paid, 0) as benefits_paid,
        coalesce(benefits.benefits_paid, 0)
            / nullif(contributions.contributions_paid, 0) as payout_ratio
    from contributions
    left join benefits
        on benefits.credit_code = contributions.credit_code
        and benefits.assessment_year = contributions.assessment_year
    left join employers on employers.credit_code = contributions.credit_code
    left join classes on classes.risk_class = employers.risk_class
),

tiered as (
    select
        rated.*,
        rated.months_contributing >= 12 and rated.payout_ratio is not null as is_rated,
        tiers.float_factor as tier_factor
    from rated
    left join tiers
        on (tiers.payout_ratio_above is null or rated.payout_ratio > tiers.payout_ratio_above)
        and (tiers.payout_ratio_up_to is null or rated.payout_ratio <= tiers.payout_ratio_up_to)
),

floated as (
    select
        tiered.*,
        case
            when not tiered.is_rated then 1.0
            when not tiered.floats_down then greatest(tiered.tier_factor, 1.0)
            else tiered.tier_factor
        end as float_factor
    from tiered
)

select
    credit_code::text as credit_code,
    assessment_year::integer as assessment_year,
    (assessment_year + 1)::integer as applies_to_year,
    region_code::text as region_code,
    industry_division::text as industry_division,
    risk_class::integer as risk_class,
    base_rate::numeric(6, 4) as base_rate,
    months_contributing::integer as months_contributing,
    contributions_paid::numeric(16, 2) as contributions_paid,
    benefits_paid::numeric(16, 2) as benefits_paid,
    round(payout_ratio, 4)::numeric(12, 4) as payout_ratio,
    is_rated,
    float_factor::numeric(4, 2) as float_factor,
    round(base_rate * float_factor, 5)::numeric(7, 5) as floated_rate
from floated
