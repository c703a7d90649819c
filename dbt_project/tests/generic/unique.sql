{#-
    dbt's `unique`, reading on a patient-incremental model only the keys of
    the rows built since the last passing build (macros/tested_through.sql),
    each checked against every row.
-#}
{% test unique(model, column_name) %}
    {%- set rebuilt = rows_built_since_tested(model) %}
    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    where {{ column_name }} is not null
    {%- if rebuilt %}
        and {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ rebuilt }})
    {%- endif %}
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
