-- The definitions in force when the marts were built, so every page that
-- shows a rate can say which definition it used: the dbt vars (windows,
-- thresholds), each instrument's thresholds from instrument_catalog, the
-- indication -> primary instrument map and the severity bands.
{% set registry_definitions = [
    ('course_gap_days', 'days', 'A gap of more than this many calendar days between consecutive countable sessions starts a new course.'),
    ('baseline_window_days', 'days', 'Baseline: last scorable administration at or before course start and at most this many calendar days before it.'),
    ('endpoint_window_start_days', 'days', 'Endpoint window: first calendar day after course start.'),
    ('endpoint_window_end_days', 'days', 'Endpoint window: last calendar day after course start.'),
    ('itt_horizon_days', 'days', 'A course is ITT-eligible when evaluable and as_of_date - date(course_start) >= this.'),
    ('default_primary_instrument', 'instrument', 'Primary instrument of an indication missing from the indication map.'),
    ('small_cell_threshold', 'count', 'Counts from 1 to this minus 1 are not shown outside a site (CMS cell-size rule).'),
    ('bp_excursion_sbp_peak_min', 'mmHg', 'BP_EXCURSION when sbp_peak is at least this.'),
    ('bp_excursion_dbp_peak_min', 'mmHg', 'BP_EXCURSION when dbp_peak is at least this.'),
    ('bp_excursion_sbp_rise_min', 'mmHg', 'BP_EXCURSION when sbp_peak - sbp_pre is at least this.'),
    ('bp_excursion_dbp_rise_min', 'mmHg', 'BP_EXCURSION when dbp_peak - dbp_pre is at least this.'),
    ('wilson_z', 'z', 'z of the Wilson score interval on every rate (1.959964 = 95%).'),
    ('trajectory_horizon_days', 'days', 'Course trajectories follow a course for at most this many days.'),
] %}
{% set instrument_definitions = [
    ('n_items', 'items', 'Number of items.'),
    ('max_missing_items', 'items', 'Items that may be missing; the total is then prorated, round(sum * n / answered), halves away from zero.'),
    ('min_baseline', 'points', 'A course is evaluable when its baseline is at least this.'),
    ('response_reduction', 'fraction', 'Responded: (baseline - endpoint) / baseline is at least this.'),
    ('remission_max', 'points', 'Remitted: endpoint is at most this.'),
    ('deterioration_rise', 'points', 'Deteriorated: endpoint - baseline is at least this.'),
] %}
with

catalog as (

    select * from {{ ref('instrument_catalog') }}

),

indication_map as (

    select * from {{ ref('indication_primary_instrument') }}

),

severity_bands as (

    select * from {{ ref('severity_bands') }}

),

registry as (

    {% for name, unit, description in registry_definitions %}
    select
        '{{ name }}' as definition,
        'ALL' as scope,
        '{{ var(name) }}' as value,
        '{{ unit }}' as unit,
        '{{ dbt.escape_single_quotes(description) }}' as description,
        'dbt var' as defined_in
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

instruments as (

    {% for name, unit, description in instrument_definitions %}
    select
        '{{ name }}' as definition,
        instrument as scope,
        {{ dbt.cast(name, dbt.type_string()) }} as value,
        '{{ unit }}' as unit,
        '{{ dbt.escape_single_quotes(description) }}' as description,
        'seed instrument_catalog' as defined_in
    from catalog
    where {{ name }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

primary_instruments as (

    select
        'primary_instrument' as definition,
        indication as scope,
        primary_instrument as value,
        'instrument' as unit,
        'Outcome rates of this indication use this instrument.' as description,
        'seed indication_primary_instrument' as defined_in

    from indication_map

),

bands as (

    select
        {{ dbt.concat(["'severity_band:'", 'band']) }} as definition,
        instrument as scope,
        {{ dbt.concat([
            dbt.cast('score_min', dbt.type_string()), "'-'", dbt.cast('score_max', dbt.type_string())
        ]) }} as value,
        'points' as unit,
        {{ dbt.concat(["'Total score range of the band ('", 'source', "')'"]) }} as description,
        'seed severity_bands' as defined_in

    from severity_bands

),

final as (

    select * from registry
    union all
    select * from instruments
    union all
    select * from primary_instruments
    union all
    select * from bands

)

select * from final
