{#-
    Incremental runs, keyed on the patient.

    Every incremental model holds rows that follow from one patient's raw rows
    alone (their records, their versions, their patient record) and the
    definitions. A daily load changes a few patients, so an incremental run
    recomputes exactly those patients, completely, and their rows become what
    it computed (rows it computed the same are left in place). Recomputing
    whole patients rather than the records a load carried is what keeps
    versions, withdrawals, corrections and late-arriving patients right
    without any special case.

    The patients to redo are read from stg_raw__patient_loads (the last load
    that changed each patient); a model has done every load up to its own
    watermark, the highest _through_load_id its rows carry. A build that
    writes no row leaves it where it was, and the next build redoes those
    patients once more: more work, never a wrong row. Each incremental model
    keeps its own watermark, so a model that failed in one run catches up in
    the next, whatever the others did. A model holding no row at all has no
    watermark and redoes every patient: correct, as slow as a full build.

    A model whose ITT eligibility moves with the as-of date (course_outcomes
    and what copies its flags) also redoes the patients whose eligibility
    the new as-of date changes, though no load touched them:
    incremental_by_patient_config(itt_follows_as_of_date=true).

    An incremental model starts with {{ incremental_by_patient_config() }}
    and reads, on an incremental run only,
        touched_patients as ({{ touched_patients() }})
    to keep its inputs to `patient_key in (select patient_key from
    touched_patients)`; its final select ends with {{ incremental_bookkeeping() }}.
    The base models, whose rows follow from one raw record alone, narrow
    this to the records the loads carried (macros/incremental_by_record.sql).
-#}


{#- The configuration every patient-keyed incremental model shares. -#}
{% macro incremental_by_patient_config(itt_follows_as_of_date=false) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_patients',
        unique_key='patient_key',
        on_schema_change='fail',
        itt_follows_as_of_date=itt_follows_as_of_date,
    ) }}
{%- endmacro %}


{#-
    The clinical definitions in force: the vars of dbt_project.yml (or
    --vars) and the seed files. Rows built under other definitions carry
    another hash, and the next run redoes every patient: a clinic that changes
    course_gap_days or a threshold in a seed gets a network built under one
    definition, never a mix. tests/dbt_project checks that every var of
    dbt_project.yml is listed here.
-#}
{% macro definitions_hash() -%}
    {%- if not execute or 'nodes' not in graph -%}
        {#- The graph is empty while dbt parses (and in some unit tests, which never read the hash). -#}
        {{- return('') -}}
    {%- endif -%}
    {%- set definition_vars = [
        'course_gap_days', 'baseline_window_days', 'endpoint_window_start_days',
        'endpoint_window_end_days', 'itt_horizon_days', 'default_primary_instrument',
        'small_cell_threshold', 'bp_excursion_sbp_peak_min', 'bp_excursion_dbp_peak_min',
        'bp_excursion_sbp_rise_min', 'bp_excursion_dbp_rise_min', 'wilson_z',
        'trajectory_horizon_days',
    ] -%}
    {%- set parts = [] -%}
    {%- for name in definition_vars -%}
        {%- do parts.append(name ~ '=' ~ var(name)) -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed') | sort(attribute='unique_id') -%}
        {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{- return(local_md5(parts | join(';'))) -}}
{%- endmacro %}


{#-
    The highest raw load this model has already taken in, read from its own
    rows. -1 (redo every patient) when it holds no rows yet, or rows built
    under other definitions. Only meaningful on an incremental run.
-#}
{% macro incremental_watermark() -%}
    {%- if not execute -%}
        {{- return(-1) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_through_load_id' not in columns -%}
        {{- exceptions.raise_compiler_error(
            this ~ " was built before incremental runs and has no watermark; rebuild it once with "
            ~ "`dbt build --full-refresh --select " ~ this.identifier ~ "` (`ketreg run` drops "
            ~ "such a table before its build, orchestration/defs/transform/built_before_incremental.py)."
        ) -}}
    {%- endif -%}
    {%- set watermark_query -%}
        select
            max(_through_load_id) as through_load_id,
            count(case when _definitions_hash <> '{{ definitions_hash() }}' then 1 end) as n_stale
        from {{ this }}
    {%- endset -%}
    {%- set row = run_query(watermark_query).rows[0] -%}
    {%- if row[0] is none or row[1] > 0 -%}
        {{- return(-1) -}}
    {%- endif -%}
    {{- return(row[0]) -}}
{%- endmacro %}


{#-
    The patients an incremental run redoes: changed by a load after the
    watermark, and, in a model whose ITT eligibility follows the as-of date,
    those with a row whose itt_eligible the as-of date now contradicts.
-#}
{% macro touched_patients() -%}
    select patient_key
    from {{ ref('stg_raw__patient_loads') }}
    where last_load_id > {{ incremental_watermark() }}
    {%- if config.get('itt_follows_as_of_date', false) %}
    union
    {{ patients_whose_itt_eligibility_moved() }}
    {%- endif %}
{%- endmacro %}


{#-
    Read from the model's own rows (evaluable, course_start_date,
    itt_eligible), not from the as-of date of its last build: right whichever
    way the as-of date moved, and after a run in which the model failed.
-#}
{% macro patients_whose_itt_eligibility_moved() -%}
    select built.patient_key
    from {{ this }} as built
    cross join {{ ref('int_as_of_date') }} as as_of
    where built.itt_eligible
        <> {{ itt_eligible('built.evaluable', 'built.course_start_date', 'as_of.as_of_date') }}
{%- endmacro %}


{#-
    The two bookkeeping columns every incremental model ends with:
    _through_load_id, the last raw load this build had taken in (its
    watermark), and _definitions_hash, the definitions it was built under.
-#}
{% macro incremental_bookkeeping() -%}
    (select max(last_load_id) from {{ ref('stg_raw__patient_loads') }}) as _through_load_id,
    '{{ definitions_hash() }}' as _definitions_hash
{%- endmacro %}


{#-
    incremental_strategy='replace_patients': replace every row of every
    touched patient by the batch. Deleting by the touched set, not by the
    keys the batch happens to hold, is what removes a patient whose last
    session was withdrawn or whose patient record was withdrawn: such a
    patient has no row in the batch at all. unique_key names the patient
    column.

    A row the batch holds again, equal in every column but _through_load_id,
    stays where it is: a follow-up day touches 2% of the patients at 100,000,
    whose rows lie all over each table, and most of their rows come out the
    same. Deleting them all cost DuckDB's next checkpoint ~1.0 s against
    ~0.2 s for appended rows alone, over the five largest tables. A kept row
    keeps the load of the build that wrote it; the key tests still read it
    once, as a row of a patient touched since the last passing build
    (macros/tested_through.sql), and the model's watermark, the highest load
    its rows carry, moves on with any row written.
-#}
{% macro get_incremental_replace_patients_sql(arg_dict) -%}
    {%- set patient_column = arg_dict['unique_key'] -%}
    {%- if not patient_column or patient_column is not string -%}
        {{- exceptions.raise_compiler_error(
            "replace_patients needs unique_key set to the patient column, e.g. unique_key='patient_key'"
        ) -}}
    {%- endif -%}
    {{- replace_touched_rows(arg_dict, {patient_column: touched_patients()}) -}}
{%- endmacro %}


{#-
    The held rows whose every `touched` column holds one of its touched
    values (`touched`: column -> the query of those values) become the
    batch's: such a row the batch does not hold the same is deleted, a batch
    row not yet held is inserted, and the rest stay where they are.

    Both statements find the touched rows by rowid first. Given the filters
    and the comparison at once, DuckDB may compare the whole table with the
    batch before filtering it: 0.45 s against 0.03 s for
    base_raw__assessments on a follow-up day at 100,000 patients, and
    0.55 s against 0.33 s by patient.
-#}
{% macro replace_touched_rows(arg_dict, touched) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set columns = get_quoted_csv(names) -%}
    {%- set compared = names | reject('equalto', '_through_load_id') | list -%}

    delete from {{ target }} as held
    where held.rowid in (
        select rowid from {{ target }}
        where {% for column, values in touched.items() -%}
            {{ ' and ' if not loop.first }}{{ column }} in ({{ values }})
        {%- endfor %}
      )
      and not exists (
        select 1 from {{ batch }} as built
        where {{ same_row(compared, 'held', 'built') }}
      );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ batch }} as built
    where not exists (
        select 1 from {{ target }} as held
        where held.rowid in (
            select rowid from {{ target }}
            where {% for column in touched -%}
                {{ ' and ' if not loop.first }}{{ column }} in (select {{ column }} from {{ batch }})
            {%- endfor %}
          )
          and {{ same_row(compared, 'held', 'built') }}
    )
{%- endmacro %}


{#- Two rows equal in the named columns, a null equal to a null. -#}
{% macro same_row(names, left, right) -%}
    {%- for name in names -%}
        {{ ' and ' if not loop.first }}{{ left }}.{{ adapter.quote(name) }} is not distinct from {{ right }}.{{ adapter.quote(name) }}
    {%- endfor -%}
{%- endmacro %}


{#-
    The last raw load the previous build took in (0 before a first build, and
    under --full-refresh): what a check of an append-only raw table has
    already seen. Read from stg_raw__patient_loads by name, not with ref(), so
    that a source test using it keeps running before that model: a failing
    source test then skips the model, the watermark stays, and the next run
    checks the same rows again.
-#}
{% macro last_built_load() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{- return(0) -}}
    {%- endif -%}
    {%- set relation = patient_loads_relation() -%}
    {%- if relation is none -%}
        {{- return(0) -}}
    {%- endif -%}
    {{- return(run_query('select coalesce(max(last_load_id), 0) from ' ~ relation).columns[0][0]) -}}
{%- endmacro %}


{#-
    stg_raw__patient_loads as built, looked up by name rather than with ref():
    what reads it from a macro (a source test, the on-run-end hook) adds no
    dependency on it. None before it is first built.
-#}
{% macro patient_loads_relation() -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.stg_raw__patient_loads'] -%}
    {{- return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    )) -}}
{%- endmacro %}
