with source as (
    select * from {{ source('health', 'dust_enterprises') }}
),

typed as (
    select
        extract(year from report_date::date)::integer as roster_year,
        report_date::date as report_date,
        credit_code,
        enterprise_name,
        industry_category,
        region_code,
        address,
        {{ mask_name('contact_person') }} as contact_person_masked,
        {{ mask_phone('contact_phone') }} as contact_phone_masked,
        worker_count::integer as worker_count,
        _batch_id as batch_id,
        -- The latest report of the year wins; within one file, the last row for a code wins.
        row_number() over (
            partition by extract(year from report_date::date), credit_code
            order by report_date::date desc, _loaded_at desc, _row_number desc
        ) as recency
    from source
)

select
    roster_year,
    report_date,
    credit_code,
    enterprise_name,
    industry_category,
    region_code,
    address,
    contact_person_masked,
    contact_phone_masked,
    worker_count,
    batch_id
from typed
where recency = 1
