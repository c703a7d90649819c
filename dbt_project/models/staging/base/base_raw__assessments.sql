{{ incremental_by_record_config('assessment_id', 'assessments') }}

-- Current item rows of each administration, withdrawals removed, orphans
-- still in. The version is per administration (exports.md, "Versions"): the
-- rows of an assessment_id at its highest record_version replace all of its
-- earlier rows, including items the new version no longer carries.
-- A table kept incrementally: a run redoes the administrations that new
-- loads carried (macros/incremental_by_record.sql), whichever patient held
-- them, so a version that moves one to another patient takes it away from
-- the first.
with

{% if is_incremental() -%}
touched_administrations as (

    {{ touched_records() }}

),

touched_patients as (

    {{ touched_patients() }}

),
{%- endif %}

-- Read twice (versions, renamed) rather than copied once: DuckDB would
-- otherwise materialise the CTE, every item row of the history on a first
-- build (~1 s of ~4 s at 100,000 patients), where two scans cost ~0.1 s.
source as not materialized (

    select * from {{ source('raw', 'assessments') }}
    {% if is_incremental() -%}
    where assessment_id in (select assessment_id from touched_administrations)
      and patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

-- Versions are found on (administration, version) pairs and joined back,
-- rather than with a window over every item row: an aggregate and a hash
-- join are several times faster than sorting tens of millions of rows.
versions as (

    select
        assessment_id,
        record_version,
        -- The administration is the record: one withdrawn row at the current
        -- version withdraws all of it, rather than leaving a partial
        -- administration that would be prorated into a score nobody gave.
        max(case when entered_in_error then 1 else 0 end) as is_withdrawn

    from source
    group by assessment_id, record_version

),

ranked_versions as (

    select
        *,
        row_number() over (
            partition by assessment_id
            order by record_version desc
        ) as version_rank

    from versions

),

current_versions as (

    select assessment_id, record_version
    from ranked_versions
    where version_rank = 1
      and is_withdrawn = 0

),

renamed as (

    select
        source.assessment_id,
        source.item,
        source.patient_key,
        source.site_id,
        source.record_version,
        source.instrument,
        source.administered_at,
        source.value,
        source._load_id as load_id,
        source._loaded_at as loaded_at,
        {{ incremental_bookkeeping() }}

    from source
    inner join current_versions
        on source.assessment_id = current_versions.assessment_id
        and source.record_version = current_versions.record_version

)

select * from renamed
