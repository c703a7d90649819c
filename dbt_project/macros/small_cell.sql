{#-
    True when a count falls under the CMS cell-size rule: 1 to
    small_cell_threshold - 1 may not be shown outside a site's own care team
    (zero may). Marts carry this as flag columns; the suppression itself, and
    the complementary suppression across rows, is the presentation layer's job.
-#}
{% macro is_small_cell(count) -%}
    coalesce({{ count }} between 1 and {{ var('small_cell_threshold') }} - 1, false)
{%- endmacro %}

{#-
    True when a rate x/n cannot be shown: x, n or n - x is a small cell (with n
    shown, x and n - x can each be derived from the other).
-#}
{% macro is_small_cell_rate(x, n) -%}
    (
        {{ is_small_cell(x) }}
        or {{ is_small_cell(n) }}
        or {{ is_small_cell('(' ~ n ~ ') - (' ~ x ~ ')') }}
    )
{%- endmacro %}
