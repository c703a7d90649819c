-- Adverse events per 1,000 countable sessions, by site x route x category x
-- severity x seriousness, each also 'ALL', zeros included.
--
-- An event belongs to its own site. Its route is that of the session it
-- followed; an event not linked to a current session has no route and
-- counts only in the route = 'ALL' rows (so route rows need not add up to
-- the ALL row). Every current adverse event of a known patient counts, also
-- one that followed a cancelled session; the denominator is countable
-- sessions only, as the spec defines the rate.
with

adverse_events as (

    select * from {{ ref('stg_raw__adverse_events') }}

),

sessions as (

    select session_id, site_id, route, is_countable
    from {{ ref('stg_raw__sessions') }}

),

categories as (

    select category from {{ ref('adverse_event_categories') }}
    union all
    select 'ALL' as category

),

severities as (

    select severity from {{ ref('adverse_event_severities') }}
    union all
    select 'ALL' as severity

),

seriousness_levels as (

    select 'SERIOUS' as seriousness
    union all
    select 'NOT_SERIOUS' as seriousness
    union all
    select 'ALL' as seriousness

),

events as (

    select
        adverse_events.event_id,
        adverse_events.patient_key,
        adverse_events.site_id,
        sessions.route,
        adverse_events.category,
        adverse_events.severity,
        case when adverse_events.serious then 'SERIOUS' else 'NOT_SERIOUS' end as seriousness

    from adverse_events
    left join sessions
        on adverse_events.session_id = sessions.session_id

),

grouping_sets as (

    {{ grouping_set_flags(['site_id', 'route', 'category', 'severity', 'seriousness']) }}

),

event_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'events') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'events') }} as route,
        {{ grouped_value('category', 'grouping_sets', 'events') }} as category,
        {{ grouped_value('severity', 'grouping_sets', 'events') }} as severity,
        {{ grouped_value('seriousness', 'grouping_sets', 'events') }} as seriousness,
        count(*) as n_events,
        count(distinct events.patient_key) as n_patients

    from events
    cross join grouping_sets
    where events.route is not null
       or not grouping_sets.by_route
    group by 1, 2, 3, 4, 5

),

site_route_sets as (

    {{ grouping_set_flags(['site_id', 'route']) }}

),

session_totals as (

    -- Counted once per site and route, then rolled up: rolling up the
    -- sessions themselves would read every session once per grouping set.
    select
        site_id,
        route,
        count(*) as n_sessions

    from sessions
    where is_countable
    group by site_id, route

),

session_counts as (

    select
        {{ grouped_value('site_id', 'site_route_sets', 'session_totals') }} as site_id,
        {{ grouped_value('route', 'site_route_sets', 'session_totals') }} as route,
        cast(sum(session_totals.n_sessions) as bigint) as n_sessions

    from session_totals
    cross join site_route_sets
    group by 1, 2

),

groups as (

    select site_id, route from session_counts
    union
    select site_id, route from event_counts

),

final as (

    select
        groups.site_id,
        groups.route,
        categories.category,
        severities.severity,
        seriousness_levels.seriousness,
        cast(coalesce(event_counts.n_events, 0) as bigint) as n_events,
        cast(coalesce(event_counts.n_patients, 0) as bigint) as n_patients,
        cast(coalesce(session_counts.n_sessions, 0) as bigint) as n_sessions,
        1000 * {{ ratio('coalesce(event_counts.n_events, 0)', 'session_counts.n_sessions') }}
            as events_per_1000_sessions,
        {{ is_small_cell('event_counts.n_events') }}
            or {{ is_small_cell('event_counts.n_patients') }} as small_cell

    from groups
    cross join categories
    cross join severities
    cross join seriousness_levels
    left join event_counts
        on groups.site_id = event_counts.site_id
        and groups.route = event_counts.route
        and categories.category = event_counts.category
        and severities.severity = event_counts.severity
        and seriousness_levels.seriousness = event_counts.seriousness
    left join session_counts
        on groups.site_id = session_counts.site_id
        and groups.route = session_counts.route

)

select * from final
