{{ incremental_by_patient_config() }}

-- One row per current administration of a known patient, scorable or not,
-- scored as spec/outcomes.md "Scoring an administration" says. Safety reads
-- the items (PHQ-9 item 9, C-SSRS risk) whatever the score.
-- Incremental: a run rescores the administrations of the patients that new
-- loads touched (macros/incremental_by_patient.sql).
with

{% if is_incremental() -%}
touched_patients as (

    {{ touched_patients() }}

),

{% endif -%}
items as (

    select * from {{ ref('stg_raw__assessments') }}
    {% if is_incremental() -%}
    where patient_key in (select patient_key from touched_patients)
    {%- endif %}

),

catalog as (

    select * from {{ ref('instrument_catalog') }}

),

severity_bands as (

    select * from {{ ref('severity_bands') }}

),

administrations as (

    select
        assessment_id,
        -- All rows of an administration's current version should carry the
        -- same patient, site, instrument and time (the ingest judges them
        -- together); max() picks that value and rows_disagree flags an
        -- administration where they do not.
        max(patient_key) as patient_key,
        max(site_id) as site_id,
        max(instrument) as instrument,
        max(administered_at) as administered_at,
        min(patient_key) <> max(patient_key)
            or min(site_id) <> max(site_id)
            or min(instrument) <> max(instrument)
            or min(administered_at) <> max(administered_at) as rows_disagree,
        max(record_version) as record_version,
        cast(count(case when item <> 'total' then 1 end) as integer) as n_items_answered,
        cast(sum(case when item <> 'total' then value end) as integer) as item_sum,
        max(case when item = 'total' then value end) as stated_total,
        max(case when item = '9' then value end) as item_9_value,
        -- C-SSRS screen items, read from whatever items are present.
        max(case when item in ('4', '5', '6') then value end) as cssrs_behaviour_max,
        max(case when item = '3' then value end) as cssrs_item_3,
        max(case when item in ('1', '2') then value end) as cssrs_ideation_max

    from items
    group by assessment_id

),

with_catalog as (

    select
        administrations.*,
        catalog.n_items as n_items_expected,
        catalog.max_missing_items,
        catalog.total_max is not null as has_total,
        catalog.n_items - administrations.n_items_answered as n_items_missing

    from administrations
    left join catalog
        on administrations.instrument = catalog.instrument

),

methods as (

    select
        *,
        case
            -- Only a total row: the total is the stated value.
            when n_items_answered = 0 and stated_total is not null then 'STATED_TOTAL'
            when n_items_answered = 0 then 'NOT_SCORABLE'
            when n_items_missing = 0 then 'ITEMS'
            when n_items_missing between 1 and max_missing_items then 'PRORATED'
            -- More items missing than allowed (or items of a total-only
            -- instrument): kept, but not scorable. A stated total beside
            -- incomplete items does not rescue it: the spec scores items
            -- whenever items are present.
            else 'NOT_SCORABLE'
        end as score_method

    from with_catalog

),

scored as (

    select
        *,
        case
            when not has_total then null
            when score_method = 'STATED_TOTAL' then stated_total
            -- Items complete: their sum. A stated total that differs is
            -- quarantined upstream (TOTAL_MISMATCH); should one get through,
            -- the answered items win over a transcribed total, and
            -- total_mismatch flags the administration.
            when score_method = 'ITEMS' then item_sum
            when score_method = 'PRORATED' then cast({{ round_half_away_from_zero(
                'cast(item_sum as ' ~ type_double() ~ ') * n_items_expected / n_items_answered'
            ) }} as integer)
        end as total_score,
        score_method <> 'NOT_SCORABLE' as scorable,
        score_method = 'PRORATED' as prorated,
        coalesce(score_method = 'ITEMS' and stated_total <> item_sum, false) as total_mismatch

    from methods

),

final as (

    select
        scored.assessment_id,
        scored.patient_key,
        scored.site_id,
        scored.instrument,
        scored.administered_at,
        cast(scored.administered_at as date) as administered_date,
        scored.record_version,
        scored.n_items_expected,
        scored.n_items_answered,
        scored.n_items_missing,
        scored.item_sum,
        scored.stated_total,
        scored.score_method,
        scored.scorable,
        scored.prorated,
        scored.total_mismatch,
        scored.rows_disagree,
        scored.total_score,
        severity_bands.band as severity_band,
        case
            when scored.instrument <> 'CSSRS_SCREEN' then null
            when scored.n_items_answered = 0 then null
            when scored.cssrs_behaviour_max >= 1 then 'HIGH'
            when scored.cssrs_item_3 >= 1 then 'MODERATE'
            when scored.cssrs_ideation_max >= 1 then 'LOW'
            else 'NONE'
        end as cssrs_risk,
        case when scored.instrument = 'PHQ9' then scored.item_9_value end as phq9_item9,
        {{ incremental_bookkeeping() }}

    from scored
    left join severity_bands
        on scored.instrument = severity_bands.instrument
        and scored.total_score between severity_bands.score_min and severity_bands.score_max

)

select * from final
