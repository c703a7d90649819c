-- Every code listed in a session's side_effects was unnested: a code missing
-- from the session_effects seed would otherwise silently vanish from the
-- side-effect rates.
-- Shown in Dagster as a check on stg_raw__session_side_effects.
--
-- Reads the sessions built since the last passing build, and those of the patients
-- touched since (macros/tested_through.sql), as the key tests do: both sides are
-- recomputed whole for every patient a load touches (a patient who arrives, a
-- session corrected or withdrawn) and for every patient when a definition (the
-- seed) changes, so an older session's codes and its unnested rows are as they
-- were when they passed.
{{ config(tags=['completeness', 'blocking'],
          meta={'dagster': {'ref': {'name': 'stg_raw__session_side_effects'}}}) }}

{%- set rebuilt = rows_built_since_tested(ref('base_raw__sessions')) %}

with

sessions as (

    select
        session_id,
        side_effects,
        {{ dbt.length('side_effects') }}
            - {{ dbt.length(dbt.replace('side_effects', "';'", "''")) }} + 1 as n_listed

    from {{ ref('stg_raw__sessions') }}
    where side_effects is not null
    {%- if rebuilt %}
      and {{ rebuilt }}
    {%- endif %}

),

unnested as (

    select session_id, count(*) as n_unnested
    from {{ ref('stg_raw__session_side_effects') }}
    {%- if rebuilt %}
    where session_id in (select session_id from sessions)
    {%- endif %}
    group by session_id

)

select sessions.session_id, sessions.side_effects, sessions.n_listed, unnested.n_unnested
from sessions
left join unnested
    on sessions.session_id = unnested.session_id
where coalesce(unnested.n_unnested, 0) <> sessions.n_listed
