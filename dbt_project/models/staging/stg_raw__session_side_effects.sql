{{ incremental_by_patient_config() }}

-- sessions.side_effects unnested: one row per session and listed code.
-- Matched against the code list in the session_effects seed rather than split
-- with an engine-specific string function; the ingest accepts only those
-- codes, and a singular test (assert_session_side_effects_all_unnested)
-- fails if a listed code is ever missed.
-- A table kept incrementally, like the sessions it reads: matching every
-- session against every code is the costly part, and a run redoes only the
-- sessions of the patients that new loads touched
-- (macros/incremental_by_patient.sql).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
sessions as (

    select
        session_id,
        patient_key,
        site_id,
        status,
        is_countable,
        side_effects

    from {{ ref('stg_raw__sessions') }}
    where side_effects is not null
    {% if is_incremental() -%}
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

listed_codes as (

    select effect as side_effect

    from {{ ref('session_effects') }}
    where effect_kind = 'LISTED'

),

unnested as (

    select
        sessions.session_id,
        sessions.patient_key,
        sessions.site_id,
        sessions.status,
        sessions.is_countable,
        listed_codes.side_effect,
        {{ incremental_bookkeeping() }}

    from sessions
    inner join listed_codes
        -- Delimiters on both sides so DISSOCIATION never matches inside another code.
        on {{ dbt.position(
            dbt.concat(["';'", "listed_codes.side_effect", "';'"]),
            dbt.concat(["';'", "sessions.side_effects", "';'"])
        ) }} > 0

)

select * from unnested
