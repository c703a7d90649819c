{{ incremental_by_patient_config(itt_follows_as_of_date=true) }}

-- The primary-instrument score of each course by week since its start, for
-- trajectory charts (int_course_scores_weekly, kept incrementally), with the
-- course's description and its outcome flags from course_outcomes (so that a chart
-- filters on this table alone, without a join at every page view).
-- Incremental: a run redoes the patients that new loads touched, and those
-- whose itt_eligible (and so completer) the new as-of date moves
-- (macros/incremental_by_patient.sql), which reads the as-of date:
-- depends_on: {{ ref('int_as_of_date') }}
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
weeks as (

    select * from {{ ref('int_course_scores_weekly') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

outcomes as (

    select * from {{ ref('course_outcomes') }}
    where is_primary
    {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

final as (

    select
        weeks.course_id,
        outcomes.patient_key,
        outcomes.site_id,
        outcomes.route,
        outcomes.drug,
        outcomes.indication,
        outcomes.course_start_date,
        outcomes.instrument,
        weeks.week,
        weeks.score,
        cast(weeks.score - outcomes.baseline_score as integer) as change_from_baseline,
        case
            when outcomes.baseline_score is null or outcomes.baseline_score = 0 then null
            else cast(outcomes.baseline_score - weeks.score as {{ type_double() }}) / outcomes.baseline_score
        end as change_pct,
        weeks.assessment_id,
        weeks.administered_at,
        weeks.study_day,
        weeks.n_administrations_in_week,
        weeks.week = 0 as is_baseline,
        outcomes.baseline_score,
        outcomes.evaluable,
        outcomes.itt_eligible,
        outcomes.completer,
        {{ incremental_bookkeeping() }}

    from weeks
    inner join outcomes
        on weeks.course_id = outcomes.course_id
        and weeks.instrument = outcomes.instrument

)

select * from final
