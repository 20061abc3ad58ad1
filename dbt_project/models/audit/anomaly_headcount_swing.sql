-- 参保人数增减变动大 (seed 003 §二3): an employer's insured headcount falls by at least
-- var headcount_swing_min_share and var headcount_swing_min_people from one month to the next,
-- or rises that much when the month before was not itself a fall (so a dip and its rebound are
-- one case). Employers below var headcount_swing_min_headcount are too small to judge.
with headcount as (
    select * from {{ ref('int_insured_headcount_monthly') }}
),

months as (
    select distinct headcount_month from headcount
),

series as (
    -- every month for every employer, zero where nobody was insured
    select
        employers.credit_code,
        months.headcount_month,
        coalesce(headcount.insured_headcount, 0) as insured_headcount
    from (select distinct credit_code from headcount) as employers
    cross join months
    left join headcount
        on headcount.credit_code = employers.credit_code
        and headcount.headcount_month = months.headcount_month
),

changes as (
    select
        *,
        lag(insured_headcount) over w as previous_headcount,
        lag(insured_headcount, 2) over w as headcount_two_before
    from series
    window w as (partition by credit_code order by headcount_month)
),

flagged as (
    select
        *,
        insured_headcount - previous_headcount as change,
        previous_headcount - headcount_two_before as change_before
    from changes
    where previous_headcount >= {{ var('headcount_swing_min_headcount') }}
        and abs(insured_headcount - previous_headcount) >= greatest(
            {{ var('headcount_swing_min_people') }},
            {{ var('headcount_swing_min_share') }} * previous_headcount
        )
)

select
    {{ anomaly_case_key('headcount_swing', ['flagged.credit_code', 'flagged.headcount_month::text']) }} as case_key,
    'headcount_swing' as rule_code,
    employers.region_code,
    flagged.headcount_month as period_month,
    flagged.credit_code,
    null::text as person_key,
    null::text as resident_id_masked,
    to_char(flagged.headcount_month, 'YYYY-MM') as reference_id,
    flagged.previous_headcount::integer as previous_headcount,
    flagged.insured_headcount::integer as insured_headcount,
    round(flagged.change::numeric / flagged.previous_headcount, 4) as change_share
from flagged
left join {{ ref('int_employers') }} as employers on employers.credit_code = flagged.credit_code
where flagged.change < 0
    or not coalesce(
        flagged.change_before <= -greatest(
            {{ var('headcount_swing_min_people') }},
            {{ var('headcount_swing_min_share') }} * flagged.headcount_two_before
        ),
        false
    )
