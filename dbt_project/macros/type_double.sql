{#-
    A double-precision float. dbt.type_float() is "float", which DuckDB reads
    as a 4-byte REAL: too coarse for rates and interval bounds.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'ketreg')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
