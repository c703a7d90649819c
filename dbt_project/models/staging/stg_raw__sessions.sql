-- Current sessions of known patients only (spec/outcomes.md: only records of
-- known patients count). An orphan joins as soon as its patient arrives.
with

sessions as (

    select * from {{ ref('base_raw__sessions') }}

),

patients as (

    select patient_key from {{ ref('stg_raw__patients') }}

),

known as (

    select sessions.*

    from sessions
    inner join patients
        on sessions.patient_key = patients.patient_key

)

select * from known
