{{ incremental_by_patient_config() }}

-- One row per countable session and effect it showed: each listed side
-- effect, ANY (at least one listed), BP_EXCURSION and TERMINATED_EARLY
-- (spec/outcomes.md "Side effects and safety"). Sparse: a session without an
-- effect has no row for it; side_effect_rates fills in the zeros.
-- Incremental: a run redoes the sessions of the patients that new loads
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

listed_side_effects as (

    select session_id, side_effect
    from {{ ref('stg_raw__session_side_effects') }}
    where is_countable
    {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

listed as (

    select session_id, side_effect as effect
    from listed_side_effects

),

any_listed as (

    select distinct session_id, 'ANY' as effect
    from listed_side_effects

),

bp_excursions as (

    select session_id, 'BP_EXCURSION' as effect
    from course_sessions
    -- A comparison with a missing reading is null, and null never counts:
    -- each criterion needs all of its own readings.
    where coalesce(sbp_peak >= {{ var('bp_excursion_sbp_peak_min') }}, false)
       or coalesce(dbp_peak >= {{ var('bp_excursion_dbp_peak_min') }}, false)
       or coalesce(sbp_peak - sbp_pre >= {{ var('bp_excursion_sbp_rise_min') }}, false)
       or coalesce(dbp_peak - dbp_pre >= {{ var('bp_excursion_dbp_rise_min') }}, false)

),

terminated_early as (

    select session_id, 'TERMINATED_EARLY' as effect
    from course_sessions
    where status = 'TERMINATED_EARLY'

),

session_effects as (

    select * from listed
    union all
    select * from any_listed
    union all
    select * from bp_excursions
    union all
    select * from terminated_early

),

final as (

    select
        session_effects.session_id,
        session_effects.effect,
        course_sessions.course_id,
        course_sessions.patient_key,
        course_sessions.site_id,
        course_sessions.route,
        course_sessions.session_date,
        -- The course's first session showing the effect: counting these
        -- counts courses with the effect, without a distinct over sessions.
        row_number() over (
            partition by course_sessions.course_id, session_effects.effect
            order by course_sessions.started_at, session_effects.session_id
        ) = 1 as first_in_course,
        {{ incremental_bookkeeping() }}

    from session_effects
    inner join course_sessions
        on session_effects.session_id = course_sessions.session_id

)

select * from final
