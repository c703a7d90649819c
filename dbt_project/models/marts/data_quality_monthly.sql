-- Data quality per site and calendar month, for the quality-improvement and
-- data-quality pages. Each measure is dated by its own event:
--   courses   by course_start (the course's site),
--   sessions and administrations by when they happened (their own site),
--   orphans   by the record's own date and site,
--   quarantine by when the row was quarantined (its site read from the row).
-- Course measures use each course's primary instrument.
with

course_outcomes as (

    select * from {{ ref('course_outcomes') }}
    where is_primary

),

sessions as (

    select site_id, session_date from {{ ref('int_sessions_grouped_into_courses') }}

),

administrations as (

    select site_id, administered_date, scorable, prorated
    from {{ ref('int_assessments_scored') }}

),

orphans as (

    select * from {{ ref('int_orphan_records') }}

),

quarantine as (

    select * from {{ ref('stg_ops__quarantine') }}

),

course_months as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'course_start_date') }} as date) as month,
        count(*) as n_courses,
        count(case when not missing_baseline then 1 end) as n_courses_with_baseline,
        count(case when evaluable then 1 end) as n_courses_evaluable,
        count(case when itt_eligible then 1 end) as n_itt_courses,
        count(case when completer then 1 end) as n_completer_courses

    from course_outcomes
    group by 1, 2

),

session_months as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month,
        count(*) as n_countable_sessions

    from sessions
    group by 1, 2

),

administration_months as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'administered_date') }} as date) as month,
        count(*) as n_administrations,
        count(case when not scorable then 1 end) as n_administrations_not_scorable,
        count(case when prorated then 1 end) as n_administrations_prorated

    from administrations
    group by 1, 2

),

orphan_months as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'record_date') }} as date) as month,
        count(case when entity = 'sessions' then 1 end) as n_orphan_sessions,
        count(case when entity = 'assessments' then 1 end) as n_orphan_administrations,
        count(case when entity = 'adverse_events' then 1 end) as n_orphan_adverse_events

    from orphans
    group by 1, 2

),

quarantine_reasons as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'quarantined_at') }} as date) as month,
        reason,
        count(*) as n_rows

    from quarantine
    group by 1, 2, 3

),

quarantine_months as (

    select
        site_id,
        month,
        sum(n_rows) as n_quarantined_rows,
        {{ dbt.listagg(
            dbt.concat(['reason', "'='", dbt.cast('n_rows', dbt.type_string())]),
            "'; '",
            'order by n_rows desc, reason'
        ) }} as quarantine_reasons

    from quarantine_reasons
    group by 1, 2

),

site_months as (

    select site_id, month from course_months
    union
    select site_id, month from session_months
    union
    select site_id, month from administration_months
    union
    select site_id, month from orphan_months
    union
    select site_id, month from quarantine_months

),

joined as (

    select
        site_months.site_id,
        site_months.month,
        coalesce(course_months.n_courses, 0) as n_courses,
        coalesce(course_months.n_courses_with_baseline, 0) as n_courses_with_baseline,
        coalesce(course_months.n_courses_evaluable, 0) as n_courses_evaluable,
        coalesce(course_months.n_itt_courses, 0) as n_itt_courses,
        coalesce(course_months.n_completer_courses, 0) as n_completer_courses,
        coalesce(session_months.n_countable_sessions, 0) as n_countable_sessions,
        coalesce(administration_months.n_administrations, 0) as n_administrations,
        coalesce(administration_months.n_administrations_not_scorable, 0) as n_administrations_not_scorable,
        coalesce(administration_months.n_administrations_prorated, 0) as n_administrations_prorated,
        coalesce(orphan_months.n_orphan_sessions, 0) as n_orphan_sessions,
        coalesce(orphan_months.n_orphan_administrations, 0) as n_orphan_administrations,
        coalesce(orphan_months.n_orphan_adverse_events, 0) as n_orphan_adverse_events,
        coalesce(quarantine_months.n_quarantined_rows, 0) as n_quarantined_rows,
        quarantine_months.quarantine_reasons

    from site_months
    left join course_months
        on site_months.site_id = course_months.site_id and site_months.month = course_months.month
    left join session_months
        on site_months.site_id = session_months.site_id and site_months.month = session_months.month
    left join administration_months
        on site_months.site_id = administration_months.site_id and site_months.month = administration_months.month
    left join orphan_months
        on site_months.site_id = orphan_months.site_id and site_months.month = orphan_months.month
    left join quarantine_months
        on site_months.site_id = quarantine_months.site_id and site_months.month = quarantine_months.month

),

final as (

    select
        site_id,
        month,
        cast(n_courses as bigint) as n_courses,
        cast(n_courses_with_baseline as bigint) as n_courses_with_baseline,
        cast(n_courses_evaluable as bigint) as n_courses_evaluable,
        {{ ratio('n_courses_evaluable', 'n_courses') }} as evaluable_baseline_rate,
        cast(n_itt_courses as bigint) as n_itt_courses,
        cast(n_completer_courses as bigint) as n_completer_courses,
        {{ ratio('n_completer_courses', 'n_itt_courses') }} as follow_up_rate,
        {{ wilson_bound('n_completer_courses', 'n_itt_courses', 'low') }} as follow_up_ci_low,
        {{ wilson_bound('n_completer_courses', 'n_itt_courses', 'high') }} as follow_up_ci_high,
        cast(n_countable_sessions as bigint) as n_countable_sessions,
        cast(n_administrations as bigint) as n_administrations,
        cast(n_administrations_not_scorable as bigint) as n_administrations_not_scorable,
        cast(n_administrations_prorated as bigint) as n_administrations_prorated,
        cast(n_orphan_sessions as bigint) as n_orphan_sessions,
        cast(n_orphan_administrations as bigint) as n_orphan_administrations,
        cast(n_orphan_adverse_events as bigint) as n_orphan_adverse_events,
        cast(n_quarantined_rows as bigint) as n_quarantined_rows,
        quarantine_reasons

    from joined

)

select * from final
