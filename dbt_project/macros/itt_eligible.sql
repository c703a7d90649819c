{#-
    spec/outcomes.md: itt_eligible is evaluable and
    as_of_date - date(course_start) >= itt_horizon_days. The one place it is
    written: course_outcomes computes it, and an incremental model whose
    flags follow it finds here the rows a new as-of date contradicts.
-#}
{% macro itt_eligible(evaluable, course_start_date, as_of_date) -%}
    ({{ evaluable }} and coalesce(
        {{ dbt.datediff(course_start_date, as_of_date, 'day') }} >= {{ var('itt_horizon_days') }},
        false
    ))
{%- endmacro %}
