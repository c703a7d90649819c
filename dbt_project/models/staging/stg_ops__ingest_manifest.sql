with

source as (

    select * from {{ source('ops', 'ingest_manifest') }}

),

renamed as (

    select
        load_id,
        file_sha256,
        file_name,
        entity,
        file_format,
        status,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_unchanged,
        rows_orphaned,
        reason,
        warnings,
        duplicate_of,
        run_id,
        loaded_at

    from source

)

select * from renamed
