-- Current assessments of known patients only (spec/outcomes.md: only records of
-- known patients count). An orphan joins as soon as its patient arrives.
with

assessments as (

    select * from {{ ref('base_raw__assessments') }}

),

patients as (

    select patient_key from {{ ref('stg_raw__patients') }}

),

known as (

    select assessments.*

    from assessments
    inner join patients
        on assessments.patient_key = patients.patient_key

)

select * from known
