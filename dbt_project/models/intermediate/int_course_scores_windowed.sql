{{ incremental_by_patient_config() }}

-- One row per course and instrument (with a total) for which the course has a
-- baseline or an endpoint: the scorable administrations picked by the
-- calendar-day windows of spec/outcomes.md "Baseline and endpoint".
--   day      = date(administered_at) - date(course_start)
--   baseline = last with administered_at <= course_start and day >= -baseline_window_days
--   endpoint = last with endpoint_window_start_days <= day <= endpoint_window_end_days
--   last     = latest administered_at, ties to the larger assessment_id
-- Incremental: a run redoes the courses of the patients that new loads
-- touched (macros/incremental_by_patient.sql); a course only ever reads its
-- own patient's scores.
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
courses as (

    select
        course_id,
        patient_key,
        course_start,
        course_start_date

    from {{ ref('int_courses_aggregated') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

scores as (

    select
        assessment_id,
        patient_key,
        instrument,
        administered_at,
        administered_date,
        total_score,
        prorated

    from {{ ref('int_assessments_scored') }}
    -- CSSRS_SCREEN has no total, so it has no baseline or endpoint either.
    where scorable
      and total_score is not null
      {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
      {%- endif %}

),

course_scores as (

    select
        courses.course_id,
        courses.patient_key,
        courses.course_start,
        scores.assessment_id,
        scores.instrument,
        scores.administered_at,
        scores.total_score,
        scores.prorated,
        {{ dbt.datediff('courses.course_start_date', 'scores.administered_date', 'day') }} as study_day

    from courses
    inner join scores
        on courses.patient_key = scores.patient_key

),

windowed as (

    select
        *,
        -- At or before the first dose, to the minute: a score taken after the
        -- dose on day 0 already reflects treatment.
        administered_at <= course_start
            and study_day >= -{{ var('baseline_window_days') }} as in_baseline_window,
        study_day between {{ var('endpoint_window_start_days') }}
            and {{ var('endpoint_window_end_days') }} as in_endpoint_window

    from course_scores
    where study_day between -{{ var('baseline_window_days') }}
        and {{ var('endpoint_window_end_days') }}

),

baselines as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by course_id, instrument
                order by administered_at desc, assessment_id desc
            ) as recency_rank
        from windowed
        where in_baseline_window
    ) as ranked
    where recency_rank = 1

),

endpoints as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by course_id, instrument
                order by administered_at desc, assessment_id desc
            ) as recency_rank
        from windowed
        where in_endpoint_window
    ) as ranked
    where recency_rank = 1

),

course_instruments as (

    select course_id, patient_key, instrument from baselines
    union
    select course_id, patient_key, instrument from endpoints

),

final as (

    select
        course_instruments.course_id,
        course_instruments.patient_key,
        course_instruments.instrument,
        baselines.assessment_id as baseline_assessment_id,
        baselines.administered_at as baseline_administered_at,
        baselines.study_day as baseline_day,
        baselines.total_score as baseline_score,
        baselines.prorated as baseline_prorated,
        endpoints.assessment_id as endpoint_assessment_id,
        endpoints.administered_at as endpoint_administered_at,
        endpoints.study_day as endpoint_day,
        endpoints.total_score as endpoint_score,
        endpoints.prorated as endpoint_prorated,
        {{ incremental_bookkeeping() }}

    from course_instruments
    left join baselines
        on course_instruments.course_id = baselines.course_id
        and course_instruments.instrument = baselines.instrument
    left join endpoints
        on course_instruments.course_id = endpoints.course_id
        and course_instruments.instrument = endpoints.instrument

)

select * from final
