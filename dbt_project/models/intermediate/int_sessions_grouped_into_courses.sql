{{ incremental_by_patient_config() }}

-- One row per countable session (COMPLETED or TERMINATED_EARLY) of a known
-- patient, with the treatment course it belongs to. CANCELLED sessions count
-- nowhere: they neither start a course nor bridge a gap.
-- Incremental: a run regroups the sessions of the patients that new loads
-- touched (macros/incremental_by_patient.sql); courses never span patients.
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
countable_sessions as (

    select * from {{ ref('stg_raw__sessions') }}
    where is_countable
    {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

with_previous as (

    select
        *,
        -- session_id breaks ties between sessions given at the same minute,
        -- so course numbering never depends on the engine's sort.
        lag(session_date) over (
            partition by patient_key
            order by started_at, session_id
        ) as previous_session_date

    from countable_sessions

),

course_starts_flagged as (

    select
        *,
        case
            when previous_session_date is null then 1
            -- More than course_gap_days calendar days between the two dates:
            -- exactly course_gap_days apart is still the same course.
            when {{ dbt.datediff('previous_session_date', 'session_date', 'day') }}
                > {{ var('course_gap_days') }} then 1
            else 0
        end as starts_course

    from with_previous

),

numbered as (

    select
        *,
        cast(sum(starts_course) over (
            partition by patient_key
            order by started_at, session_id
            rows between unbounded preceding and current row
        ) as integer) as course_number

    from course_starts_flagged

),

final as (

    select
        {{ dbt.concat([
            'patient_key', "':'", dbt.cast('course_number', dbt.type_string())
        ]) }} as course_id,
        course_number,
        cast(row_number() over (
            partition by patient_key, course_number
            order by started_at, session_id
        ) as integer) as session_number_in_course,
        session_id,
        patient_key,
        site_id,
        started_at,
        session_date,
        route,
        drug,
        dose_mg,
        weight_kg,
        status,
        sbp_pre,
        sbp_peak,
        dbp_pre,
        dbp_peak,
        spo2_min,
        cadss,
        moaas_min,
        {{ incremental_bookkeeping() }}

    from numbered

)

select * from final
