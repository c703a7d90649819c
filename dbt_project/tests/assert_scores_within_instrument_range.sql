-- Every total lies within its instrument's total range (instrument_catalog):
-- a prorated or stated total outside it means a scoring or ingest defect.
-- Shown in Dagster as a check on assessment_scores.
{{ config(tags=['plausibility', 'blocking'],
          meta={'dagster': {'ref': {'name': 'assessment_scores'}}}) }}

select
    scores.assessment_id,
    scores.instrument,
    scores.total_score,
    catalog.total_min,
    catalog.total_max

from {{ ref('assessment_scores') }} as scores
inner join {{ ref('instrument_catalog') }} as catalog
    on scores.instrument = catalog.instrument
where scores.total_score < catalog.total_min
   or scores.total_score > catalog.total_max
   or (catalog.total_max is not null and scores.total_score is null)
