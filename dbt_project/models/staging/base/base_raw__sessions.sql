{{ incremental_by_record_config('session_id', 'sessions') }}

-- Current version of each session, withdrawals removed, orphans still in:
-- stg_raw__sessions keeps the known patients, int_orphan_records the rest.
-- A table kept incrementally: a run redoes the sessions that new loads
-- carried (macros/incremental_by_record.sql), whichever patient held them,
-- so a version that moves a session to another patient takes it away from
-- the first.
with

{% if is_incremental() -%}
touched_sessions as (

    {{ touched_records() }}

),

touched_patients as (

    {{ touched_patients() }}

),
{%- endif %}

source as (

    select * from {{ source('raw', 'sessions') }}
    {% if is_incremental() -%}
    where session_id in (select session_id from touched_sessions)
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

versioned as (

    select
        *,
        row_number() over (
            partition by session_id
            order by record_version desc
        ) as version_rank

    from source

),

renamed as (

    select
        session_id,
        patient_key,
        site_id,
        record_version,
        started_at,
        cast(started_at as date) as session_date,
        route,
        drug,
        dose_mg,
        weight_kg,
        duration_min,
        monitored_min,
        status,
        status in ('COMPLETED', 'TERMINATED_EARLY') as is_countable,
        sbp_pre,
        sbp_peak,
        sbp_post,
        dbp_pre,
        dbp_peak,
        dbp_post,
        hr_pre,
        hr_peak,
        spo2_min,
        cadss,
        moaas_min,
        side_effects,
        _load_id as load_id,
        _loaded_at as loaded_at,
        {{ incremental_bookkeeping() }}

    from versioned
    where version_rank = 1
      and not entered_in_error

)

select * from renamed
