{{ incremental_by_patient_config() }}

-- Current version of each patient; a patient withdrawn (entered_in_error on
-- the current version) is no longer known, so its records become orphans.
-- A table kept incrementally (macros/incremental_by_patient.sql): every model
-- joins it, and a view would rank every patient version each time.
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
source as (

    select * from {{ source('raw', 'patients') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

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
        _loaded_at as loaded_at,
        {{ incremental_bookkeeping() }}

    from versioned
    -- (key, record_version) is unique in raw, so rank 1 is the one current row.
    where version_rank = 1
      and not entered_in_error

)

select * from renamed
