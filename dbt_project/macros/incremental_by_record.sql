{#-
    Incremental runs of the base models, keyed on the raw record.

    A base model's rows follow from one raw record alone (a session, an
    administration): its current version, or none when that version is
    withdrawn. Such a model redoes only the records the new loads carried,
    not every record of every patient they touched: a follow-up day brings
    one new administration for each of 2,000 patients, whose ~240,000 older
    item rows the patient-keyed build read, recomputed and compared again
    (base_raw__assessments ~1.0-1.4 s -> ~0.2-0.4 s a follow-up day at
    100,000 patients).

    Every raw row of a touched record belongs to a touched patient:
    stg_raw__patient_loads marks the patients who once held a record that
    gets a new version. So the record's rows are read, and its held rows
    replaced, among the touched patients' only. The result is the same; the
    patient filter lets DuckDB skip the row groups of other patients when
    the new records' ids are spread over every site's range (a new-patient
    day's administrations: 97 of 103 row groups of raw.assessments read
    without it, 7 with it, at 100,000 patients).

    Everything else is the patient-keyed scheme's
    (macros/incremental_by_patient.sql): the watermark, the bookkeeping
    columns, the definitions hash (a changed one redoes every record), rows
    that come out the same left in place, and the key tests reading the rows
    built since the last passing build (macros/tested_through.sql). A version
    that moves a record to another patient replaces it under the new one, as
    the held rows are deleted by record, whichever touched patient held them.

    A base model starts with
        {{ incremental_by_record_config('session_id', 'sessions') }}
    (the record column, and the raw table it comes from) and reads, on an
    incremental run only,
        touched_records as ({{ touched_records() }})
    and keeps its raw rows to `session_id in (select session_id from
    touched_records) and patient_key in (select patient_key from
    touched_patients)`, touched_patients as ({{ touched_patients() }}); its
    final select ends with {{ incremental_bookkeeping() }}.
-#}


{% macro incremental_by_record_config(record_column, raw_table) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_records',
        unique_key=record_column,
        raw_table=raw_table,
        on_schema_change='fail',
    ) }}
{%- endmacro %}


{#- The records the loads after the model's watermark carried. -#}
{% macro touched_records() -%}
    select distinct {{ config.get('unique_key') }}
    from {{ source('raw', config.get('raw_table')) }}
    where _load_id > {{ incremental_watermark() }}
{%- endmacro %}


{#-
    incremental_strategy='replace_records': the rows of every touched record
    become the batch's. Deleting by the touched set, not by the batch's
    records, is what removes a record whose current version is withdrawn.
-#}
{% macro get_incremental_replace_records_sql(arg_dict) -%}
    {{- replace_touched_rows(arg_dict, {
        arg_dict['unique_key']: touched_records(),
        'patient_key': touched_patients(),
    }) -}}
{%- endmacro %}
