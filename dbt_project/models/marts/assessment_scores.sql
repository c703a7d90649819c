{{ incremental_by_patient_config() }}

-- One row per current, scorable administration (spec/interface.md).
-- Incremental: a run redoes the patients that new loads touched
-- (macros/incremental_by_patient.sql).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
scored as (

    select * from {{ ref('int_assessments_scored') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

final as (

    select
        assessment_id,
        patient_key,
        site_id,
        instrument,
        administered_at,
        administered_date,
        total_score,
        prorated,
        severity_band,
        cssrs_risk,
        score_method,
        n_items_answered,
        n_items_missing,
        total_mismatch,
        {{ incremental_bookkeeping() }}

    from scored
    where scorable

)

select * from final
