-- One row per current, scorable administration (spec/interface.md).
with

scored as (

    select * from {{ ref('int_assessments_scored') }}

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
        total_mismatch

    from scored
    where scorable

)

select * from final
