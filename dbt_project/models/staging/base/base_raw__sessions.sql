-- Current version of each session, withdrawals removed, orphans still in:
-- stg_raw__sessions keeps the known patients, int_orphan_records the rest.
with

source as (

    select * from {{ source('raw', 'sessions') }}

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
        _loaded_at as loaded_at

    from versioned
    where version_rank = 1
      and not entered_in_error

)

select * from renamed
