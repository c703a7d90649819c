-- One row per countable session with its dose and the dissociation and
-- sedation it caused, for the safety page's dose-response views. Dose per kg
-- only where a weight was recorded.
with

course_sessions as (

    select * from {{ ref('int_sessions_grouped_into_courses') }}

),

final as (

    select
        session_id,
        course_id,
        site_id,
        route,
        drug,
        session_date,
        status,
        dose_mg,
        weight_kg,
        case
            when weight_kg > 0 then dose_mg / weight_kg
        end as dose_mg_per_kg,
        cadss,
        moaas_min,
        spo2_min

    from course_sessions

)

select * from final
