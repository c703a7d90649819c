{#-
    The columns together identify a row: no combination occurs twice.

    incremental_key (optional), for an append-only table with a _load_id
    (raw.*): only values of this column that got rows since the last build
    are checked, against all their rows, old ones included. Older rows were
    checked by the builds that loaded them, and a failure keeps the watermark
    where it was (see last_built_load), so the check stays complete while its
    cost follows the new loads. Every row is checked on a first build and
    under --full-refresh.
-#}
{% test unique_combination_of_columns(model, combination_of_columns, incremental_key=none) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as n_rows
    from {{ model }}
    {%- if incremental_key is not none %}
    where {{ incremental_key }} in (
        select {{ incremental_key }}
        from {{ model }}
        where _load_id > {{ last_built_load() }}
    )
    {%- endif %}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
