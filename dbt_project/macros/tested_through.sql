{#-
    Key tests whose cost follows the new data.

    A uniqueness test over a patient-incremental model (replace_patients,
    macros/incremental_by_patient.sql) reads the keys of the rows built since
    the last passing build (every node passed, every test of those models
    ran), and checks each of them against all rows, old ones included. Older
    rows passed then, and the incremental runs since have not touched them.

    The bound is the load that passing build had taken in, kept in
    main.dbt_tested_through by the on-run-end hook below. Rows carry the load
    their build had taken in (_through_load_id), and loads only grow, so every
    row written after that build carries that load or a later one: ">=" and not
    ">", so that a row written without any new load (a definition changed, an
    analyst's new model, a model emptied and built again) is read too; the
    price is that the first build after a full one reads every row once more.
    A build keeps the rows of a touched patient that came out the same, with
    their older load (macros/incremental_by_patient.sql), so the rows of the
    patients touched since (stg_raw__patient_loads) are read as well: a kept
    row may be new to a view over the model (a late patient record brings its
    sessions into stg_raw__sessions), and what reads it must see it once.
    A build with a failing, erroring or skipped node records nothing: its rows
    are checked again by every build until one passes. Every row is read on a first build, under
    --full-refresh, and by a warn-severity test, whose count is of all rows.
-#}


{% macro tested_through_relation() -%}
    {{- return(api.Relation.create(
        database=target.database, schema=target.schema, identifier='dbt_tested_through'
    )) -}}
{%- endmacro %}


{#- The load the last passing build had taken in; -1 when every row must be read. -#}
{% macro tested_through_load() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{- return(-1) -}}
    {%- endif -%}
    {%- set relation = tested_through_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{- return(-1) -}}
    {%- endif -%}
    {%- set rows = run_query('select through_load_id from ' ~ relation).rows -%}
    {{- return(rows[0][0] if rows else -1) -}}
{%- endmacro %}


{#-
    The models whose rows a test may read since the last passing build: the
    incremental ones (by patient, and the base models by record, whose rows
    also carry their patient and appear or vanish only with a load that
    touches that patient), and a view over one whose config says
    meta: {rows_follow_patient_builds: true}, that is, whose rows are that
    model's (with their _through_load_id) and appear or vanish only with a load
    that touches their patient, which rebuilds them.
-#}
{% macro built_by_patient(node) -%}
    {{- return(node.resource_type == 'model' and (
        node.config.incremental_strategy in ('replace_patients', 'replace_records')
        or node.config.meta.get('rows_follow_patient_builds', false))) -}}
{%- endmacro %}


{#-
    The condition on `model`'s rows a key test needs to read the keys of, or
    none when it must read every row: `model` is none of built_by_patient's
    (or is one filtered by a test's `where`), the test only warns, or no build
    has passed yet. `model` has a patient_key column, as built_by_patient's do.
-#}
{% macro rows_built_since_tested(model) -%}
    {%- if not execute or model is string or config.get('severity', 'error') | lower != 'error' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set matching = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if built_by_patient(node) and node.schema == model.schema
               and node.alias == model.identifier -%}
            {%- do matching.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set since = tested_through_load() if matching else -1 -%}
    {%- set patient_loads = patient_loads_relation() if since >= 0 else none -%}
    {%- if patient_loads is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return('(_through_load_id >= ' ~ since ~ ' or patient_key in (select patient_key from '
               ~ patient_loads ~ ' where last_load_id > ' ~ since ~ '))') -}}
{%- endmacro %}


{#-
    on-run-end: record the load this build had taken in, when every data test
    of every model of built_by_patient's ran and every node of the build passed
    (a warning passes). Tests that read no such model do not bear on the
    record: the pipeline leaves the seeds' tests out of a build while the
    project is unchanged (orchestration/defs/transform/definition_nodes.py).
-#}
{% macro record_tested_through(results) -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set passing = ['success', 'pass', 'warn', 'no-op'] -%}
    {%- set failed = results | rejectattr('status', 'in', passing) | list -%}
    {%- set incremental = [] -%}
    {%- for node in graph.nodes.values() if built_by_patient(node) -%}
        {%- do incremental.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set tests = [] -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') -%}
        {%- if node.depends_on.nodes | select('in', incremental) | list -%}
            {%- do tests.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set untested = tests | reject('in', selected_resources) | list -%}
    {%- if failed or untested or not tests -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set relation = tested_through_relation() -%}
    {%- set patient_loads = patient_loads_relation() -%}
    {%- call statement('record_tested_through') -%}
        create table if not exists {{ relation }} (
            through_load_id bigint not null,
            invocation_id varchar not null,
            recorded_at timestamp not null
        );
        delete from {{ relation }};
        insert into {{ relation }}
        select coalesce(max(last_load_id), 0), '{{ invocation_id }}', current_localtimestamp()
        from {{ patient_loads }};
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {{- return('') -}}
{%- endmacro %}
