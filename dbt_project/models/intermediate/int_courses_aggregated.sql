{{ incremental_by_patient_config() }}

-- One row per treatment course: its start, its first session's site, route
-- and drug, its size, and the primary instrument its indication calls for.
-- Incremental: a run redoes the courses of the patients that new loads
-- touched (macros/incremental_by_patient.sql).
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

patients as (

    select * from {{ ref('stg_raw__patients') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

indication_map as (

    select * from {{ ref('indication_primary_instrument') }}

),

first_sessions as (

    select * from course_sessions
    where session_number_in_course = 1

),

course_totals as (

    select
        course_id,
        count(*) as n_sessions,
        count(case when status = 'TERMINATED_EARLY' then 1 end) as n_sessions_terminated_early,
        count(distinct route) as n_routes,
        max(started_at) as last_session_at

    from course_sessions
    group by course_id

),

courses as (

    select
        first_sessions.course_id,
        first_sessions.patient_key,
        first_sessions.course_number,
        first_sessions.started_at as course_start,
        first_sessions.session_date as course_start_date,
        course_totals.last_session_at,
        first_sessions.site_id,
        first_sessions.route,
        first_sessions.drug,
        course_totals.n_routes > 1 as mixed_route,
        course_totals.n_sessions,
        course_totals.n_sessions_terminated_early,
        patients.primary_indication as indication,
        coalesce(
            indication_map.primary_instrument,
            '{{ var("default_primary_instrument") }}'
        ) as primary_instrument,
        -- Trajectories stop where the patient's next course begins.
        lead(first_sessions.started_at) over (
            partition by first_sessions.patient_key
            order by first_sessions.course_number
        ) as next_course_start,
        {{ incremental_bookkeeping() }}

    from first_sessions
    inner join course_totals
        on first_sessions.course_id = course_totals.course_id
    inner join patients
        on first_sessions.patient_key = patients.patient_key
    left join indication_map
        on patients.primary_indication = indication_map.indication

)

select * from courses
