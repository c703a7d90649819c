-- Current version of each adverse event, withdrawals removed, orphans still in.
with

source as (

    select * from {{ source('raw', 'adverse_events') }}

),

versioned as (

    select
        *,
        row_number() over (
            partition by event_id
            order by record_version desc
        ) as version_rank

    from source

),

renamed as (

    select
        event_id,
        patient_key,
        site_id,
        record_version,
        session_id,
        onset_at,
        category,
        severity,
        serious,
        _load_id as load_id,
        _loaded_at as loaded_at

    from versioned
    where version_rank = 1
      and not entered_in_error

)

select * from renamed
