"""The names and code lists of the export contract (shared/spec/exports.md) that files carry.

Instruments come from the dbt seed instead (catalog.py): clinical definitions live in data.
The order of each tuple is the generator's internal code order (arrays hold indices into it).
"""

# The contract's code lists, declared once in the ingest.
from orchestration.defs.ingest.contract import (
           AE_CATEGORIES,
           DRUGS,
           INDICATIONS,
           SEXES,
           SIDE_EFFECTS,
)
from orchestration.defs.ingest.contract import AE_SEVERITIES as SEVERITIES
from orchestration.defs.ingest.contract import SESSION_STATUSES as STATUSES

__all__ = ["AE_CATEGORIES", "DRUGS", "INDICATIONS", "SEVERITIES", "SEXES", "SIDE_EFFECTS",
           "STATUSES"]

ENTITIES = ("patients", "sessions", "assessments", "adverse_events")

# Column order follows the hand-written example export; the two optional version
# columns go last so every file of an entity has the same header.
COLUMNS = {
    "patients": (
        "patient_key", "site_id", "birth_year", "sex", "primary_indication",
        "prior_treatment_failures", "enrolled_on", "record_version", "entered_in_error",
    ),
    "sessions": (
        "session_id", "patient_key", "site_id", "started_at", "route", "drug", "dose_mg",
        "weight_kg", "duration_min", "monitored_min", "status", "sbp_pre", "sbp_peak",
        "sbp_post", "dbp_pre", "dbp_peak", "dbp_post", "hr_pre", "hr_peak", "spo2_min",
        "cadss", "moaas_min", "side_effects", "record_version", "entered_in_error",
    ),
    "assessments": (
        "assessment_id", "patient_key", "site_id", "instrument", "administered_at", "item",
        "value", "record_version", "entered_in_error",
    ),
    "adverse_events": (
        "event_id", "patient_key", "site_id", "session_id", "onset_at", "category", "severity",
        "serious", "record_version", "entered_in_error",
    ),
}

# The column holding each entity's record key (for assessments, with `item`).
KEY_COLUMN = {
    "patients": "patient_key",
    "sessions": "session_id",
    "assessments": "assessment_id",
    "adverse_events": "event_id",
}

# The generator's own order of the contract's routes: arrays hold indices into it.
ROUTES = ("IV", "IN", "IM", "SL", "PO")

# Handy indices into the tuples above, so code reads `ROUTE["IN"]` rather than a bare 1.
ROUTE = {code: i for i, code in enumerate(ROUTES)}
INDICATION = {code: i for i, code in enumerate(INDICATIONS)}
STATUS = {code: i for i, code in enumerate(STATUSES)}
EFFECT = {code: i for i, code in enumerate(SIDE_EFFECTS)}
AE_CATEGORY = {code: i for i, code in enumerate(AE_CATEGORIES)}
SEVERITY = {code: i for i, code in enumerate(SEVERITIES)}
