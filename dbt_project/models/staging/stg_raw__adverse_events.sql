-- Current adverse events of known patients only (spec/outcomes.md: only records of
-- known patients count). An orphan joins as soon as its patient arrives.
with

adverse_events as (

    select * from {{ ref('base_raw__adverse_events') }}

),

patients as (

    select patient_key from {{ ref('stg_raw__patients') }}

),

known as (

    select adverse_events.*

    from adverse_events
    inner join patients
        on adverse_events.patient_key = patients.patient_key

)

select * from known
