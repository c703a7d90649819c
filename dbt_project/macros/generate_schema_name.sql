{#-
    Models land in the schema named in their config (staging, intermediate,
    marts, seeds), not dbt's default "<target schema>_<custom schema>", because
    the dashboards, the publish step and outside checks address them as
    marts.<table> (spec/interface.md).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
