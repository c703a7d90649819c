{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='patient_key',
    on_schema_change='fail',
) }}

-- One row per patient_key found anywhere in raw (known patient or not): the
-- last load that changed something the models hold for that patient. An
-- incremental model that has done every load up to its watermark redoes the
-- patients whose last_load_id is above it (macros/incremental_by_patient.sql).
--
-- A load changes a patient when it brings any raw row of theirs (patient
-- record, session, assessment, adverse event), and also when it brings a new
-- version of a record they once held: a corrected version may name another
-- patient (a wrong-patient correction), and the patient it was taken from
-- must lose it. raw.* keeps every version, so those patients are found there.
--
-- An incremental run reads only the raw rows loaded since its own
-- watermark: raw tables are appended in load order, so the filter on
-- _load_id skips the history without reading it.
{%- if is_incremental() %}
{%- set since = run_query('select coalesce(max(last_load_id), 0) from ' ~ this).columns[0][0] %}
{%- endif %}

with

patient_changes as (

    select
        patient_key,
        _load_id as load_id

    from {{ source('raw', 'patients') }}
    {% if is_incremental() -%}
    where _load_id > {{ since }}
    {%- endif %}

),

{%- for entity, key in [('sessions', 'session_id'), ('assessments', 'assessment_id'), ('adverse_events', 'event_id')] %}

{{ entity }}_changed as (

    select
        {{ key }},
        max(_load_id) as load_id

    from {{ source('raw', entity) }}
    {% if is_incremental() -%}
    where _load_id > {{ since }}
    {%- endif %}
    group by {{ key }}

),

{{ entity }}_changes as (

    -- Every patient any version of a changed record names.
    select distinct
        versions.patient_key,
        {{ entity }}_changed.load_id

    from {{ entity }}_changed
    inner join {{ source('raw', entity) }} as versions
        on {{ entity }}_changed.{{ key }} = versions.{{ key }}

),
{%- endfor %}

changes as (

    select * from patient_changes
    union all
    select * from sessions_changes
    union all
    select * from assessments_changes
    union all
    select * from adverse_events_changes

),

final as (

    select
        patient_key,
        max(load_id) as last_load_id

    from changes
    group by patient_key

)

select * from final
