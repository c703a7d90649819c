-- The primary-instrument score of each course by week since its start, for
-- trajectory charts. Week 0 is the course's baseline (as in course_outcomes);
-- week k >= 1 holds the last scorable administration after the first dose
-- on calendar days 7k-6 .. 7k (a same-day post-dose score falls in week 1),
-- so week 2 ends on day 14 and week 8 on day 56, the endpoint window's ends.
-- A course is followed until its patient's next course starts, for at most
-- trajectory_horizon_days.
with

outcomes as (

    select * from {{ ref('course_outcomes') }}
    where is_primary

),

courses as (

    select course_id, next_course_start
    from {{ ref('int_courses_aggregated') }}

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

),

follow_up_scores as (

    select
        outcomes.course_id,
        scores.assessment_id,
        scores.administered_at,
        scores.total_score,
        {{ dbt.datediff('outcomes.course_start_date', 'scores.administered_date', 'day') }} as study_day

    from outcomes
    inner join courses
        on outcomes.course_id = courses.course_id
    inner join scores
        on outcomes.patient_key = scores.patient_key
        and outcomes.instrument = scores.instrument
        and scores.administered_at > outcomes.course_start
        and scores.administered_date <= {{ dbt.dateadd('day', var('trajectory_horizon_days'), 'outcomes.course_start_date') }}
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
        course_id,
        0 as week,
        baseline_assessment_id as assessment_id,
        baseline_administered_at as administered_at,
        baseline_day as study_day,
        baseline_score as score,
        1 as n_administrations

    from outcomes
    where baseline_score is not null

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
        outcomes.patient_key,
        outcomes.site_id,
        outcomes.route,
        outcomes.drug,
        outcomes.indication,
        outcomes.instrument,
        cast(weeks.week as integer) as week,
        cast(weeks.score as integer) as score,
        cast(weeks.score - outcomes.baseline_score as integer) as change_from_baseline,
        case
            when outcomes.baseline_score is null or outcomes.baseline_score = 0 then null
            else cast(outcomes.baseline_score - weeks.score as {{ type_double() }}) / outcomes.baseline_score
        end as change_pct,
        weeks.assessment_id,
        weeks.administered_at,
        cast(weeks.study_day as integer) as study_day,
        cast(weeks.n_administrations as integer) as n_administrations_in_week,
        weeks.week = 0 as is_baseline,
        outcomes.baseline_score,
        outcomes.evaluable,
        outcomes.itt_eligible,
        outcomes.completer

    from weeks
    inner join outcomes
        on weeks.course_id = outcomes.course_id

)

select * from final
