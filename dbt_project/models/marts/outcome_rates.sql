-- Response and remission rates on each course's primary instrument, for
-- every combination of site, route and indication each as itself or 'ALL'
-- (eight grouping sets), under both denominators: ITT (itt_eligible courses;
-- no endpoint = not responded, not remitted) and COMPLETER.
--
-- A group appears when it holds at least one ITT course; its COMPLETER row is
-- then always there too, with n_courses 0 and null rates when no course was
-- followed up. The follow-up rate (completers / ITT) sits on both rows.
with

itt_courses as (

    select * from {{ ref('course_outcomes') }}
    where is_primary
      and itt_eligible

),

grouping_sets as (

    {{ grouping_set_flags(['site_id', 'route', 'indication']) }}

),

courses_in_groups as (

    select
        {{ grouped_value('site_id', 'grouping_sets', 'itt_courses') }} as site_id,
        {{ grouped_value('route', 'grouping_sets', 'itt_courses') }} as route,
        {{ grouped_value('indication', 'grouping_sets', 'itt_courses') }} as indication,
        itt_courses.instrument,
        itt_courses.completer,
        itt_courses.responded,
        itt_courses.remitted,
        itt_courses.deteriorated

    from itt_courses
    cross join grouping_sets

),

group_counts as (

    -- responded, remitted and deteriorated imply completer, so both
    -- denominators share the same numerators.
    select
        site_id,
        route,
        indication,
        count(*) as n_itt_courses,
        count(case when completer then 1 end) as n_completer_courses,
        count(case when responded then 1 end) as n_responders,
        count(case when remitted then 1 end) as n_remitters,
        count(case when deteriorated then 1 end) as n_deteriorated

    from courses_in_groups
    group by site_id, route, indication

),

group_instruments as (

    -- 'ALL' indication rows pool courses measured on different instruments;
    -- this says which.
    select
        site_id,
        route,
        indication,
        {{ dbt.listagg('instrument', "','", 'order by instrument') }} as primary_instruments

    from (
        select distinct site_id, route, indication, instrument
        from courses_in_groups
    ) as distinct_instruments
    group by site_id, route, indication

),

denominators as (

    select 'ITT' as denominator
    union all
    select 'COMPLETER' as denominator

),

by_denominator as (

    select
        group_counts.*,
        denominators.denominator,
        case denominators.denominator
            when 'ITT' then group_counts.n_itt_courses
            else group_counts.n_completer_courses
        end as n_courses

    from group_counts
    cross join denominators

),

final as (

    select
        by_denominator.site_id,
        by_denominator.route,
        by_denominator.indication,
        by_denominator.denominator,
        cast(n_courses as bigint) as n_courses,
        cast(n_responders as bigint) as n_responders,
        {{ ratio('n_responders', 'n_courses') }} as response_rate,
        {{ wilson_bound('n_responders', 'n_courses', 'low') }} as response_ci_low,
        {{ wilson_bound('n_responders', 'n_courses', 'high') }} as response_ci_high,
        cast(n_remitters as bigint) as n_remitters,
        {{ ratio('n_remitters', 'n_courses') }} as remission_rate,
        {{ wilson_bound('n_remitters', 'n_courses', 'low') }} as remission_ci_low,
        {{ wilson_bound('n_remitters', 'n_courses', 'high') }} as remission_ci_high,
        cast(n_deteriorated as bigint) as n_deteriorated,
        {{ ratio('n_deteriorated', 'n_courses') }} as deterioration_rate,
        {{ wilson_bound('n_deteriorated', 'n_courses', 'low') }} as deterioration_ci_low,
        {{ wilson_bound('n_deteriorated', 'n_courses', 'high') }} as deterioration_ci_high,
        cast(n_itt_courses as bigint) as n_itt_courses,
        cast(n_completer_courses as bigint) as n_completer_courses,
        {{ ratio('n_completer_courses', 'n_itt_courses') }} as follow_up_rate,
        {{ wilson_bound('n_completer_courses', 'n_itt_courses', 'low') }} as follow_up_ci_low,
        {{ wilson_bound('n_completer_courses', 'n_itt_courses', 'high') }} as follow_up_ci_high,
        group_instruments.primary_instruments,
        {{ is_small_cell('n_courses') }} as small_cell_n,
        {{ is_small_cell_rate('n_responders', 'n_courses') }} as small_cell_response,
        {{ is_small_cell_rate('n_remitters', 'n_courses') }} as small_cell_remission

    from by_denominator
    inner join group_instruments
        on by_denominator.site_id = group_instruments.site_id
        and by_denominator.route = group_instruments.route
        and by_denominator.indication = group_instruments.indication

)

select * from final
