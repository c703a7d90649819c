{#-
    Every row satisfies the expression. Rows where it is null fail too, so a
    check on a nullable column says "x is null or ..." explicitly.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
