-- Current version of each patient; a patient withdrawn (entered_in_error on
-- the current version) is no longer known, so its records become orphans.
with

source as (

    select * from {{ source('raw', 'patients') }}

),

versioned as (

    select
        *,
        row_number() over (
            partition by patient_key
            order by record_version desc
        ) as version_rank

    from source

),

renamed as (

    select
        patient_key,
        site_id,
        record_version,
        birth_year,
        sex,
        primary_indication,
        prior_treatment_failures,
        enrolled_on,
        _load_id as load_id,
        _loaded_at as loaded_at

    from versioned
    -- (key, record_version) is unique in raw, so rank 1 is the one current row.
    where version_rank = 1
      and not entered_in_error

)

select * from renamed
