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

    select session_id, course_id, site_id, route, effect, first_in_course
    from {{ ref('int_session_effects_flagged') }}

),

course_effects as (

    -- A course shows an effect when one of its sessions does; its first such
    -- session stands for it, so each course counts once.
    select
        session_effects.course_id,
        session_effects.effect,
        courses.site_id,
        courses.route

    from session_effects
    inner join courses
        on session_effects.course_id = courses.course_id
    where session_effects.first_in_course

),

effects as (

    select effect, display_order from {{ ref('session_effects') }}

),

grouping_sets as (

    {{ grouping_set_flags(['site_id', 'route']) }}

),

-- Each count is taken once per site and route, then rolled up: rolling up the
-- sessions themselves would read every session once per grouping set. A
-- session (or course) has one site and one route, so the counts add up.
session_totals as (

    select site_id, route, count(*) as n_sessions
    from sessions
    group by site_id, route

),

session_effect_totals as (

    select site_id, route, effect, count(*) as n_sessions_with_effect
    from session_effects
    group by site_id, route, effect

),

course_totals as (

    select site_id, route, count(*) as n_courses
    from courses
    group by site_id, route

),

course_effect_totals as (

    select site_id, route, effect, count(*) as n_courses_with_effect
    from course_effects
    group by site_id, route, effect

),

session_groups as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'session_totals') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'session_totals') }} as route,
        cast(sum(session_totals.n_sessions) as bigint) as n_sessions

    from session_totals
    cross join grouping_sets
    group by 1, 2

),

session_effect_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'session_effect_totals') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'session_effect_totals') }} as route,
        session_effect_totals.effect,
        cast(sum(session_effect_totals.n_sessions_with_effect) as bigint) as n_sessions_with_effect

    from session_effect_totals
    cross join grouping_sets
    group by 1, 2, 3

),

course_groups as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'course_totals') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'course_totals') }} as route,
        cast(sum(course_totals.n_courses) as bigint) as n_courses

    from course_totals
    cross join grouping_sets
    group by 1, 2

),

course_effect_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'course_effect_totals') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'course_effect_totals') }} as route,
        course_effect_totals.effect,
        cast(sum(course_effect_totals.n_courses_with_effect) as bigint) as n_courses_with_effect

    from course_effect_totals
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
