-- Quarantine has no site column: the site is read from the row itself when
-- the row carried one (normalised like the ingest normalises codes), else
-- UNKNOWN, so every quarantined row still counts somewhere on the
-- data-quality page.
with

source as (

    select * from {{ source('ops', 'quarantine') }}

),

renamed as (

    select
        file_sha256,
        row_number,
        entity,
        record_key,
        reason,
        reason_column,
        coalesce(
            nullif(upper(trim({{ json_text('row_json', 'site_id') }})), ''),
            'UNKNOWN'
        ) as site_id,
        quarantined_at,
        row_json

    from source

)

select * from renamed
