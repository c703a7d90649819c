{#-
    One row per grouping set of the given dimensions: a boolean column
    by_<dimension> per dimension, true when the set keeps that dimension and
    false when it rolls it up as 'ALL'. Three dimensions give eight rows.

    Cross-joining the facts with these rows and grouping by
    "case when by_x then x else 'ALL' end" computes every rollup in one pass,
    on any engine (no GROUPING SETS / CUBE dialect differences, and no ambiguity
    between a rolled-up null and a null dimension value).
-#}
{% macro grouping_set_flags(dimensions) -%}
    {%- for i in range(2 ** (dimensions | length)) %}
    select
        {%- for dimension in dimensions %}
        {{ 'true' if (i // (2 ** loop.index0)) % 2 == 0 else 'false' }} as by_{{ dimension }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The dimension's value when the grouping set keeps it, else 'ALL'. -#}
{% macro grouped_value(dimension, flags_alias, value_alias) -%}
    case when {{ flags_alias }}.by_{{ dimension }} then {{ value_alias }}.{{ dimension }} else 'ALL' end
{%- endmacro %}
