{#-
    One bound of the 95% Wilson score interval for x successes out of n
    (spec/outcomes.md, "Rates"): with p = x/n,
        centre = (p + z^2/(2n)) / (1 + z^2/n)
        half   = z * sqrt(p(1-p)/n + z^2/(4n^2)) / (1 + z^2/n)
    and bounds centre - half, centre + half. Null when n is 0 or null.

    The bound at x = 0 is exactly 0 and at x = n exactly 1: computing them
    through the formula leaves floating-point dust (-1e-17) that would break
    the "interval within [0, 1]" tests without meaning anything.

    Every interval in the registry comes from this macro; z is the var
    wilson_z (1.959964 for 95%).
-#}
{% macro wilson_bound(x, n, side) -%}
    {%- if side not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("wilson_bound: side must be 'low' or 'high', got " ~ side) }}
    {%- endif -%}
    {%- set z = var('wilson_z') | float -%}
    {%- set z2 = z * z -%}
    {%- set p = "(cast(" ~ x ~ " as " ~ type_double() ~ ") / (" ~ n ~ "))" -%}
    case
        when coalesce({{ n }}, 0) = 0 then null
        {% if side == 'low' -%}
        when {{ x }} = 0 then 0.0
        {%- else -%}
        when {{ x }} = {{ n }} then 1.0
        {%- endif %}
        else
            (
                ({{ p }} + {{ z2 }} / (2.0 * ({{ n }})))
                {{ '-' if side == 'low' else '+' }} {{ z }} * sqrt(
                    {{ p }} * (1 - {{ p }}) / ({{ n }})
                    + {{ z2 }} / (4.0 * ({{ n }}) * ({{ n }}))
                )
            ) / (1 + {{ z2 }} / ({{ n }}))
    end
{%- endmacro %}
