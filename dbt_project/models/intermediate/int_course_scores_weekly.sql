{{ incremental_by_patient_config() }}

-- The primary-instrument score of each course by week since its start, the
-- body of course_trajectories. Week 0 is the course's baseline (as in
-- course_outcomes); week k >= 1 holds the last scorable administration after
-- the first dose on calendar days 7k-6 .. 7k (a same-day post-dose score falls
-- in week 1), so week 2 ends on day 14 and week 8 on day 56, the endpoint
-- window's ends. A course is followed until its patient's next course starts,
-- for at most trajectory_horizon_days.
-- Incremental: a run redoes the courses of the patients that new loads
-- touched (macros/incremental_by_patient.sql); the as_of-dependent flags are
-- joined on in the mart.
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
        primary_instrument,
        course_start,
        course_start_date,
        next_course_start

    from {{ ref('int_courses_aggregated') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

baselines as (

    select
        course_id,
        instrument,
        baseline_assessment_id,
        baseline_administered_at,
        baseline_day,
        baseline_score

    from {{ ref('int_course_scores_windowed') }}
    where baseline_score is not null
    {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

scores as (

    select
        assessment_id,
        patient_key,
        instrument,
        administered_at,
        administered_date,
        total_score

    from {{ ref('int_assessments_scored') }}
    where scorable
      and total_score is not null
      {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
      {%- endif %}

),

follow_up_scores as (

    select
        courses.course_id,
        scores.assessment_id,
        scores.administered_at,
        scores.total_score,
        {{ dbt.datediff('courses.course_start_date', 'scores.administered_date', 'day') }} as study_day

    from courses
    inner join scores
        on courses.patient_key = scores.patient_key
        and courses.primary_instrument = scores.instrument
        and scores.administered_at > courses.course_start
        and scores.administered_date <= {{ dbt.dateadd('day', var('trajectory_horizon_days'), 'courses.course_start_date') }}
        and (courses.next_course_start is null or scores.administered_at < courses.next_course_start)

),

weekly_candidates as (

    select
        *,
        case
            when study_day = 0 then 1
            else cast(ceil(study_day / 7.0) as integer)
        end as week

    from follow_up_scores

),

weekly as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by course_id, week
                order by administered_at desc, assessment_id desc
            ) as recency_rank,
            count(*) over (partition by course_id, week) as n_administrations
        from weekly_candidates
    ) as ranked
    where recency_rank = 1

),

baseline_weeks as (

    select
        baselines.course_id,
        0 as week,
        baselines.baseline_assessment_id as assessment_id,
        baselines.baseline_administered_at as administered_at,
        baselines.baseline_day as study_day,
        baselines.baseline_score as score,
        1 as n_administrations

    from baselines
    inner join courses
        on baselines.course_id = courses.course_id
        and baselines.instrument = courses.primary_instrument

),

follow_up_weeks as (

    select
        course_id,
        week,
        assessment_id,
        administered_at,
        study_day,
        total_score as score,
        n_administrations

    from weekly

),

weeks as (

    select * from baseline_weeks
    union all
    select * from follow_up_weeks

),

final as (

    select
        weeks.course_id,
        courses.patient_key,
        courses.primary_instrument as instrument,
        cast(weeks.week as integer) as week,
        cast(weeks.score as integer) as score,
        weeks.assessment_id,
        weeks.administered_at,
        cast(weeks.study_day as integer) as study_day,
        cast(weeks.n_administrations as integer) as n_administrations_in_week,
        {{ incremental_bookkeeping() }}

    from weeks
    inner join courses
        on weeks.course_id = courses.course_id

)

select * from final
