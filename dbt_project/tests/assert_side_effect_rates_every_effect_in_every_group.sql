-- Every effect of the session_effects seed has a row in every site/route
-- group of side_effect_rates (zeros included), and the ALL/ALL group counts
-- every countable session and every course.
-- Shown in Dagster as a check on side_effect_rates.
{{ config(tags=['completeness', 'blocking'],
          meta={'dagster': {'ref': {'name': 'side_effect_rates'}}}) }}

with

rates as (

    select * from {{ ref('side_effect_rates') }}

),

n_effects as (

    select count(*) as n from {{ ref('session_effects') }}

),

incomplete_groups as (

    select rates.site_id, rates.route, 'missing effects' as problem
    from rates
    cross join n_effects
    group by rates.site_id, rates.route, n_effects.n
    having count(distinct rates.effect) <> n_effects.n

),

totals as (

    select
        (select count(*) from {{ ref('stg_raw__sessions') }} where is_countable) as n_sessions,
        (select count(*) from {{ ref('int_courses_aggregated') }}) as n_courses

),

wrong_totals as (

    select rates.site_id, rates.route, 'ALL/ALL totals differ' as problem
    from rates
    cross join totals
    where rates.site_id = 'ALL'
      and rates.route = 'ALL'
      and (rates.n_sessions <> totals.n_sessions or rates.n_courses <> totals.n_courses)

)

select * from incomplete_groups
union all
select * from wrong_totals
