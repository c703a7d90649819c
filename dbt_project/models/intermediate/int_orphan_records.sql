{{ incremental_by_patient_config() }}

-- One row per current record whose patient_key is not (or no longer) a known
-- patient: held back from every model until the patient arrives, counted on
-- the data-quality page. Assessments count once per administration.
-- Incremental: a run redoes the records of the patients that new loads
-- touched (macros/incremental_by_patient.sql), the late-arriving patient
-- whose orphans now join among them.
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
patients as (

    select patient_key from {{ ref('stg_raw__patients') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

sessions as (

    select * from {{ ref('base_raw__sessions') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

assessment_rows as (

    select * from {{ ref('base_raw__assessments') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

adverse_events as (

    select * from {{ ref('base_raw__adverse_events') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

orphan_sessions as (

    select
        'sessions' as entity,
        sessions.session_id as record_key,
        sessions.patient_key,
        sessions.site_id,
        cast(sessions.started_at as date) as record_date

    from sessions
    left join patients
        on sessions.patient_key = patients.patient_key
    where patients.patient_key is null

),

orphan_assessment_rows as (

    select assessment_rows.*

    from assessment_rows
    left join patients
        on assessment_rows.patient_key = patients.patient_key
    where patients.patient_key is null

),

orphan_administrations as (

    select
        'assessments' as entity,
        assessment_id as record_key,
        max(patient_key) as patient_key,
        max(site_id) as site_id,
        cast(max(administered_at) as date) as record_date

    from orphan_assessment_rows
    group by assessment_id

),

orphan_adverse_events as (

    select
        'adverse_events' as entity,
        adverse_events.event_id as record_key,
        adverse_events.patient_key,
        adverse_events.site_id,
        cast(adverse_events.onset_at as date) as record_date

    from adverse_events
    left join patients
        on adverse_events.patient_key = patients.patient_key
    where patients.patient_key is null

),

orphans as (

    select * from orphan_sessions
    union all
    select * from orphan_administrations
    union all
    select * from orphan_adverse_events

),

final as (

    select
        *,
        {{ incremental_bookkeeping() }}

    from orphans

)

select * from final
