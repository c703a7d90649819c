{{ incremental_by_patient_config() }}

-- One row per countable session with its dose and the dissociation and
-- sedation it caused, for the safety page's dose-response views. Dose per kg
-- only where a weight was recorded.
-- Incremental: a run redoes the patients that new loads touched
-- (macros/incremental_by_patient.sql).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
course_sessions as (

    select * from {{ ref('int_sessions_grouped_into_courses') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

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
        spo2_min,
        patient_key,
        {{ incremental_bookkeeping() }}

    from course_sessions

)

select * from final
