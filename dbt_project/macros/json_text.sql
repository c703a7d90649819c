{#- The text value of a top-level key of a JSON column (null when absent). -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'ketreg')(column, key)) }}
{%- endmacro %}

{#- DuckDB and Postgres both read ->> as "member as text". -#}
{% macro default__json_text(column, key) -%}
    ({{ column }} ->> '{{ key }}')
{%- endmacro %}

{% macro snowflake__json_text(column, key) -%}
    ({{ column }}:{{ key }}::varchar)
{%- endmacro %}

{% macro bigquery__json_text(column, key) -%}
    json_value({{ column }}, '$.{{ key }}')
{%- endmacro %}
