-- The network-wide outcome_rates rows count exactly the primary-instrument
-- courses of course_outcomes: nothing lost or double-counted by the rollups.
-- Shown in Dagster as a check on outcome_rates.
{{ config(tags=['conformance', 'blocking'],
          meta={'dagster': {'ref': {'name': 'outcome_rates'}}}) }}

with

expected as (

    select
        count(case when itt_eligible then 1 end) as n_itt,
        count(case when completer then 1 end) as n_completer,
        count(case when responded then 1 end) as n_responders,
        count(case when remitted then 1 end) as n_remitters

    from {{ ref('course_outcomes') }}
    where is_primary

),

reported as (

    select
        max(case when denominator = 'ITT' then n_courses end) as n_itt,
        max(case when denominator = 'COMPLETER' then n_courses end) as n_completer,
        max(n_responders) as n_responders,
        max(n_remitters) as n_remitters

    from {{ ref('outcome_rates') }}
    where site_id = 'ALL' and route = 'ALL' and indication = 'ALL'

)

select expected.*, reported.*
from expected
cross join reported
where expected.n_itt > 0
  and (
    coalesce(reported.n_itt, -1) <> expected.n_itt
    or coalesce(reported.n_completer, -1) <> expected.n_completer
    or coalesce(reported.n_responders, -1) <> expected.n_responders
    or coalesce(reported.n_remitters, -1) <> expected.n_remitters
  )
