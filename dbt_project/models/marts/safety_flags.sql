{{ incremental_by_patient_config() }}

-- One row per administration that needs clinical follow-up: every current
-- PHQ-9 whose item 9 is 1 or more (whatever its total, scorable or not) and
-- every current C-SSRS screen whose risk level is not NONE, the level taken
-- from the items present (safety comes before scoring).
-- Incremental: a run redoes the patients that new loads touched
-- (macros/incremental_by_patient.sql).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
scored as (

    select * from {{ ref('int_assessments_scored') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

phq9_item9 as (

    select
        *,
        'PHQ9_ITEM9' as reason,
        {{ dbt.cast('phq9_item9', dbt.type_string()) }} as level,
        phq9_item9 as level_rank

    from scored
    where instrument = 'PHQ9'
      and phq9_item9 >= 1

),

cssrs as (

    select
        *,
        'CSSRS' as reason,
        cssrs_risk as level,
        case cssrs_risk when 'LOW' then 1 when 'MODERATE' then 2 when 'HIGH' then 3 end as level_rank

    from scored
    where instrument = 'CSSRS_SCREEN'
      and cssrs_risk <> 'NONE'

),

flags as (

    select * from phq9_item9
    union all
    select * from cssrs

),

final as (

    select
        assessment_id,
        patient_key,
        site_id,
        administered_at,
        instrument,
        reason,
        level,
        cast(level_rank as integer) as level_rank,
        cast(administered_at as date) as administered_date,
        scorable,
        total_score,
        n_items_missing,
        {{ incremental_bookkeeping() }}

    from flags

)

select * from final
