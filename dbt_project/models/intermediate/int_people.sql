-- One row per insured person (参保人员) with the sex and birth date their resident ID carries:
-- the grouping attributes of the high-risk groups mart. Only the key leaves staging.
select
    person_key,
    (array_agg(sex order by processing_date desc, change_id desc))[1] as sex,
    (array_agg(birth_date order by processing_date desc, change_id desc))[1] as birth_date
from {{ ref('stg_social_insurance__enrolment_changes') }}
group by person_key
