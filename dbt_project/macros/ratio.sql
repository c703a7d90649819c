{#- x / n as a fraction, null when the denominator is 0 or null (spec/interface.md). -#}
{% macro ratio(x, n) -%}
    case
        when coalesce({{ n }}, 0) = 0 then null
        else cast({{ x }} as {{ type_double() }}) / ({{ n }})
    end
{%- endmacro %}
