{#-
    Rounds to an integer with halves away from zero (13.5 -> 14, -2.5 -> -3),
    as spec/outcomes.md requires for prorated totals. Written out because
    round() on floating-point values rounds halves to even on some engines
    (Postgres, Spark), which would score 13.5 as 14 here and 12.5 as 12 there.
-#}
{% macro round_half_away_from_zero(expression) -%}
    case
        when ({{ expression }}) < 0 then -floor(-({{ expression }}) + 0.5)
        else floor(({{ expression }}) + 0.5)
    end
{%- endmacro %}
