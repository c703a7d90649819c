-- The registry's as-of date (spec/outcomes.md): the latest calendar date of
-- any countable session or scorable administration. One row; null on an
-- empty registry. ITT eligibility is measured against it, not the wall clock,
-- so rebuilding the same data gives the same numbers.
with

session_dates as (

    select max(session_date) as latest_date
    from {{ ref('int_sessions_grouped_into_courses') }}

),

administration_dates as (

    select max(administered_date) as latest_date
    from {{ ref('int_assessments_scored') }}
    where scorable

),

latest_dates as (

    select latest_date from session_dates
    union all
    select latest_date from administration_dates

),

final as (

    select max(latest_date) as as_of_date
    from latest_dates

)

select * from final
