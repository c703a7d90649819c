{#-
    A rate x/n with its Wilson interval is coherent: the rate equals x/n (null
    exactly when n is 0), and 0 <= ci_low <= rate <= ci_high <= 1 with both
    bounds null exactly when the rate is. Applied to the rate column.
-#}
{% test rate_with_interval(model, column_name, numerator, denominator, ci_low=none, ci_high=none) %}
    select *
    from {{ model }}
    where
        {{ numerator }} < 0
        or {{ numerator }} > {{ denominator }}
        or ({{ denominator }} = 0) <> ({{ column_name }} is null)
        or abs({{ column_name }} - {{ ratio(numerator, denominator) }}) > 1e-12
        {%- if ci_low is not none %}
        or ({{ ci_low }} is null) <> ({{ column_name }} is null)
        or ({{ ci_high }} is null) <> ({{ column_name }} is null)
        or {{ ci_low }} < 0
        or {{ ci_high }} > 1
        or {{ ci_low }} > {{ column_name }}
        or {{ column_name }} > {{ ci_high }}
        {%- endif %}
{% endtest %}
