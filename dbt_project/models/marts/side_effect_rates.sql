-- Side-effect rates per site x route (each also 'ALL') x effect, zeros
-- included (spec/outcomes.md "Side effects and safety"):
--   per session: countable sessions listing the effect / countable sessions,
--                grouped by the session's own site and route;
--   per course:  courses with at least one such session / courses,
--                grouped by the course's site and route (its first session's).
-- A group exists when it holds a session or a course; every effect of the
-- session_effects seed then has a row in it.
with

sessions as (

    select session_id, course_id, site_id, route
    from {{ ref('int_sessions_grouped_into_courses') }}

),

courses as (

    select course_id, site_id, route
    from {{ ref('int_courses_aggregated') }}

),

session_effects as (

    select session_id, course_id, site_id, route, effect
    from {{ ref('int_session_effects_flagged') }}

),

course_effects as (

    select distinct
        session_effects.course_id,
        session_effects.effect,
        courses.site_id,
        courses.route

    from session_effects
    inner join courses
        on session_effects.course_id = courses.course_id

),

effects as (

    select effect, display_order from {{ ref('session_effects') }}

),

grouping_sets as (

    {{ grouping_set_flags(['site_id', 'route']) }}

),

session_groups as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'sessions') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'sessions') }} as route,
        count(*) as n_sessions

    from sessions
    cross join grouping_sets
    group by 1, 2

),

session_effect_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'session_effects') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'session_effects') }} as route,
        session_effects.effect,
        count(*) as n_sessions_with_effect

    from session_effects
    cross join grouping_sets
    group by 1, 2, 3

),

course_groups as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'courses') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'courses') }} as route,
        count(*) as n_courses

    from courses
    cross join grouping_sets
    group by 1, 2

),

course_effect_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'course_effects') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'course_effects') }} as route,
        course_effects.effect,
        count(*) as n_courses_with_effect

    from course_effects
    cross join grouping_sets
    group by 1, 2, 3

),

groups as (

    select site_id, route from session_groups
    union
    select site_id, route from course_groups

),

counts as (

    select
        groups.site_id,
        groups.route,
        effects.effect,
        effects.display_order,
        coalesce(session_groups.n_sessions, 0) as n_sessions,
        coalesce(session_effect_counts.n_sessions_with_effect, 0) as n_sessions_with_effect,
        coalesce(course_groups.n_courses, 0) as n_courses,
        coalesce(course_effect_counts.n_courses_with_effect, 0) as n_courses_with_effect

    from groups
    cross join effects
    left join session_groups
        on groups.site_id = session_groups.site_id
        and groups.route = session_groups.route
    left join session_effect_counts
        on groups.site_id = session_effect_counts.site_id
        and groups.route = session_effect_counts.route
        and effects.effect = session_effect_counts.effect
    left join course_groups
        on groups.site_id = course_groups.site_id
        and groups.route = course_groups.route
    left join course_effect_counts
        on groups.site_id = course_effect_counts.site_id
        and groups.route = course_effect_counts.route
        and effects.effect = course_effect_counts.effect

),

final as (

    select
        site_id,
        route,
        effect,
        cast(n_sessions as bigint) as n_sessions,
        cast(n_sessions_with_effect as bigint) as n_sessions_with_effect,
        {{ ratio('n_sessions_with_effect', 'n_sessions') }} as session_rate,
        {{ wilson_bound('n_sessions_with_effect', 'n_sessions', 'low') }} as session_ci_low,
        {{ wilson_bound('n_sessions_with_effect', 'n_sessions', 'high') }} as session_ci_high,
        cast(n_courses as bigint) as n_courses,
        cast(n_courses_with_effect as bigint) as n_courses_with_effect,
        {{ ratio('n_courses_with_effect', 'n_courses') }} as course_rate,
        {{ wilson_bound('n_courses_with_effect', 'n_courses', 'low') }} as course_ci_low,
        {{ wilson_bound('n_courses_with_effect', 'n_courses', 'high') }} as course_ci_high,
        cast(display_order as integer) as effect_order,
        {{ is_small_cell_rate('n_sessions_with_effect', 'n_sessions') }} as small_cell_session,
        {{ is_small_cell_rate('n_courses_with_effect', 'n_courses') }} as small_cell_course

    from counts

)

select * from final
