{{ incremental_by_patient_config(itt_follows_as_of_date=true) }}

-- One row per course and instrument (spec/outcomes.md "Course outcome"): the
-- course's primary instrument always, and every other instrument with a total
-- for which the course has a baseline.
-- Incremental: a run redoes the patients that new loads touched, and those
-- whose ITT eligibility the new as-of date moves (macros/incremental_by_patient.sql).
-- The as-of date and the days since each course started are therefore not
-- columns here: they would hold the date of the build that wrote each row
-- (marts.as_of holds the date).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
courses as (

    select * from {{ ref('int_courses_aggregated') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

windowed_scores as (

    select * from {{ ref('int_course_scores_windowed') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

catalog as (

    select * from {{ ref('instrument_catalog') }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

course_instruments as (

    select
        course_id,
        primary_instrument as instrument,
        true as is_primary

    from courses

    union all

    select
        windowed_scores.course_id,
        windowed_scores.instrument,
        false as is_primary

    from windowed_scores
    inner join courses
        on windowed_scores.course_id = courses.course_id
    where windowed_scores.instrument <> courses.primary_instrument
      and windowed_scores.baseline_score is not null

),

joined as (

    select
        courses.*,
        course_instruments.instrument,
        course_instruments.is_primary,
        windowed_scores.baseline_assessment_id,
        windowed_scores.baseline_administered_at,
        windowed_scores.baseline_day,
        windowed_scores.baseline_score,
        windowed_scores.baseline_prorated,
        windowed_scores.endpoint_assessment_id,
        windowed_scores.endpoint_administered_at,
        windowed_scores.endpoint_day,
        windowed_scores.endpoint_score,
        windowed_scores.endpoint_prorated,
        catalog.min_baseline,
        catalog.response_reduction,
        catalog.remission_max,
        catalog.deterioration_rise,
        as_of.as_of_date

    from course_instruments
    inner join courses
        on course_instruments.course_id = courses.course_id
    left join windowed_scores
        on course_instruments.course_id = windowed_scores.course_id
        and course_instruments.instrument = windowed_scores.instrument
    left join catalog
        on course_instruments.instrument = catalog.instrument
    cross join as_of

),

evaluated as (

    select
        *,
        coalesce(baseline_score >= min_baseline, false) as evaluable,
        case
            when baseline_score is null or endpoint_score is null or baseline_score = 0 then null
            else cast(baseline_score - endpoint_score as {{ type_double() }}) / baseline_score
        end as change_pct

    from joined

),

eligibility as (

    select
        *,
        -- The course has had the chance to reach the end of its endpoint window.
        {{ itt_eligible('evaluable', 'course_start_date', 'as_of_date') }} as itt_eligible

    from evaluated

),

completion as (

    select
        *,
        itt_eligible and endpoint_score is not null as completer

    from eligibility

),

outcomes as (

    select
        *,
        -- Not null for non-completers: an ITT course without an endpoint
        -- counts as not responded and not remitted.
        completer and coalesce(change_pct >= response_reduction, false) as responded,
        completer and coalesce(endpoint_score <= remission_max, false) as remitted,
        completer and coalesce(endpoint_score - baseline_score >= deterioration_rise, false) as deteriorated

    from completion

),

final as (

    select
        course_id,
        patient_key,
        course_number,
        site_id,
        route,
        drug,
        mixed_route,
        indication,
        instrument,
        is_primary,
        course_start,
        cast(n_sessions as integer) as n_sessions,
        baseline_score,
        endpoint_score,
        evaluable,
        itt_eligible,
        completer,
        change_pct,
        responded,
        remitted,
        deteriorated,
        course_start_date,
        last_session_at,
        cast(n_sessions_terminated_early as integer) as n_sessions_terminated_early,
        baseline_assessment_id,
        baseline_administered_at,
        cast(baseline_day as integer) as baseline_day,
        coalesce(baseline_prorated, false) as baseline_prorated,
        endpoint_assessment_id,
        endpoint_administered_at,
        cast(endpoint_day as integer) as endpoint_day,
        coalesce(endpoint_prorated, false) as endpoint_prorated,
        endpoint_score - baseline_score as score_change,
        -- Data-quality flags (why a course is not in a denominator).
        baseline_score is null as missing_baseline,
        coalesce(baseline_score < min_baseline, false) as baseline_below_min,
        evaluable and not itt_eligible as awaiting_endpoint_window,
        itt_eligible and not completer as missing_endpoint,
        {{ incremental_bookkeeping() }}

    from outcomes

)

select * from final
