-- 缴费基数水平下降多 (seed 003 §二3): an employer's average declared contribution base falls by
-- at least var falling_base_min_share from one month to the next, with at least
-- var falling_base_min_contributors people on both months.
with monthly as (
    select
        *,
        lag(avg_contribution_base) over w as previous_avg_base,
        lag(contributors) over w as previous_contributors,
        lag(period_month) over w as previous_month
    from {{ ref('int_employer_contributions_monthly') }}
    window w as (partition by credit_code order by period_month)
)

select
    {{ anomaly_case_key('falling_contribution_base', ['monthly.credit_code', 'monthly.period_month::text']) }} as case_key,
    'falling_contribution_base' as rule_code,
    employers.region_code,
    monthly.period_month,
    monthly.credit_code,
    null::text as person_key,
    null::text as resident_id_masked,
    to_char(monthly.period_month, 'YYYY-MM') as reference_id,
    monthly.previous_avg_base,
    monthly.avg_contribution_base,
    round(monthly.avg_contribution_base / monthly.previous_avg_base - 1, 4) as change_share
from monthly
left join {{ ref('int_employers') }} as employers on employers.credit_code = monthly.credit_code
where monthly.previous_month = (monthly.period_month - interval '1 month')::date
    and monthly.contributors >= {{ var('falling_base_min_contributors') }}
    and monthly.previous_contributors >= {{ var('falling_base_min_contributors') }}
    and monthly.avg_contribution_base
        <= monthly.previous_avg_base * (1 - {{ var('falling_base_min_share') }})
