-- Courses account for every countable session of a known patient exactly
-- once, and each course has exactly one primary-instrument outcome row.
-- Shown in Dagster as a check on int_courses_aggregated.
{{ config(tags=['completeness', 'blocking'],
          meta={'dagster': {'ref': {'name': 'int_courses_aggregated'}}}) }}

with

countable as (

    select count(*) as n from {{ ref('stg_raw__sessions') }} where is_countable

),

in_courses as (

    select coalesce(sum(n_sessions), 0) as n from {{ ref('int_courses_aggregated') }}

),

primary_rows as (

    select course_id
    from {{ ref('course_outcomes') }}
    group by course_id
    having count(case when is_primary then 1 end) <> 1

)

select 'sessions' as problem, countable.n as expected, in_courses.n as found
from countable
cross join in_courses
where countable.n <> in_courses.n

union all

select {{ dbt.concat(["'primary rows of '", 'course_id']) }} as problem, 1 as expected, null as found
from primary_rows
