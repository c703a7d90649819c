-- Per-session side-effect rates per site (each also 'ALL'), calendar month
-- and effect, for control charts: countable sessions showing the effect /
-- countable sessions, by the session's own site and date. Every effect has a
-- row in every site-month with a countable session, zeros included.
with

sessions as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month

    from {{ ref('int_sessions_grouped_into_courses') }}

),

session_effects as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month,
        effect

    from {{ ref('int_session_effects_flagged') }}

),

effects as (

    select effect, display_order from {{ ref('session_effects') }}

),

grouping_sets as (

    {{ grouping_set_flags(['site_id']) }}

),

-- Counted once per site and month, then rolled up: rolling up the sessions
-- themselves would read every session once per grouping set.
session_totals as (

    select site_id, month, count(*) as n_sessions
    from sessions
    group by site_id, month

),

effect_totals as (

    select site_id, month, effect, count(*) as n_sessions_with_effect
    from session_effects
    group by site_id, month, effect

),

site_months as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'session_totals') }} as site_id,
        session_totals.month,
        cast(sum(session_totals.n_sessions) as bigint) as n_sessions

    from session_totals
    cross join grouping_sets
    group by 1, 2

),

effect_counts as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'effect_totals') }} as site_id,
        effect_totals.month,
        effect_totals.effect,
        cast(sum(effect_totals.n_sessions_with_effect) as bigint) as n_sessions_with_effect

    from effect_totals
    cross join grouping_sets
    group by 1, 2, 3

),

final as (

    select
        site_months.site_id,
        site_months.month,
        effects.effect,
        cast(site_months.n_sessions as bigint) as n_sessions,
        cast(coalesce(effect_counts.n_sessions_with_effect, 0) as bigint) as n_sessions_with_effect,
        {{ ratio('coalesce(effect_counts.n_sessions_with_effect, 0)', 'site_months.n_sessions') }} as session_rate,
        {{ wilson_bound('coalesce(effect_counts.n_sessions_with_effect, 0)', 'site_months.n_sessions', 'low') }} as session_ci_low,
        {{ wilson_bound('coalesce(effect_counts.n_sessions_with_effect, 0)', 'site_months.n_sessions', 'high') }} as session_ci_high,
        cast(effects.display_order as integer) as effect_order

    from site_months
    cross join effects
    left join effect_counts
        on site_months.site_id = effect_counts.site_id
        and site_months.month = effect_counts.month
        and effects.effect = effect_counts.effect

)

select * from final
