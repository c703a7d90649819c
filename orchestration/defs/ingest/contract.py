"""The export contract (shared/spec/exports.md) as data.

Everything the ingest checks about a row is declared here once; `rules.py`
turns these declarations into SQL. Instrument item and total ranges are not
repeated here: they come from the dbt seed `instrument_catalog.csv`, the same
table the outcome models score with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is parsed and checked."""

    PATIENT_KEY = "patient_key"  # ^[A-Za-z0-9_-]{6,64}$
    RECORD_ID = "record_id"  # free text, 1..64 characters
    SITE_ID = "site_id"  # ^[A-Z0-9-]{2,16}$
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    CODE = "code"  # one value of a list, matched case-insensitively
    CODE_LIST = "code_list"  # ';'-separated values of a list, may be empty
    ITEM = "item"  # assessments: '1'..'n' or 'total'


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    default: str | None = None  # the text an empty cell stands for
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    # An upper bound that depends on the load, as SQL over `loaded_at`.
    maximum_sql: str | None = None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    name: str
    key: tuple[str, ...]  # the record key; versions are per key
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


INDICATIONS = (
    "TRD", "MDD", "BIPOLAR_DEPRESSION", "PTSD", "OCD",
    "SUICIDAL_IDEATION", "CHRONIC_PAIN", "OTHER",
)
ROUTES = ("IV", "IM", "IN", "SL", "PO")
DRUGS = ("KETAMINE", "ESKETAMINE")
SESSION_STATUSES = ("COMPLETED", "TERMINATED_EARLY", "CANCELLED")
SIDE_EFFECTS = (
    "NAUSEA", "VOMITING", "DIZZINESS", "HEADACHE", "DISSOCIATION", "SEDATION",
    "ANXIETY", "HYPERTENSION", "TACHYCARDIA", "RESPIRATORY_DEPRESSION",
    "BLURRED_VISION", "CONFUSION", "OTHER",
)
AE_CATEGORIES = (
    "HYPERTENSION", "DISSOCIATION", "NAUSEA_VOMITING", "SEDATION",
    "RESPIRATORY_DEPRESSION", "CARDIAC", "PSYCHIATRIC_WORSENING",
    "SUICIDAL_BEHAVIOR", "UROLOGICAL", "MISUSE", "OTHER",
)
AE_SEVERITIES = ("MILD", "MODERATE", "SEVERE")
SEXES = ("F", "M", "X", "U")

# Columns every entity carries (exports.md, "Columns common to every entity").
COMMON = (
    Column("site_id", Kind.SITE_ID, required=True),
    Column("record_version", Kind.INTEGER, default="1", minimum=1),
    Column("entered_in_error", Kind.BOOLEAN, default="false"),
)


def _int(name: str, lo: float, hi: float) -> Column:
    return Column(name, Kind.INTEGER, minimum=lo, maximum=hi)


PATIENTS = Entity(
    "patients",
    key=("patient_key",),
    columns=(
        Column("patient_key", Kind.PATIENT_KEY, required=True),
        *COMMON,
        # A birth year outside 1900..the load year is a typo, not a patient.
        Column("birth_year", Kind.INTEGER, minimum=1900, maximum_sql="year(loaded_at)"),
        Column("sex", Kind.CODE, default="U", codes=SEXES),
        Column("primary_indication", Kind.CODE, required=True, codes=INDICATIONS),
        _int("prior_treatment_failures", 0, 50),
        Column("enrolled_on", Kind.DATE, required=True),
    ),
)

SESSIONS = Entity(
    "sessions",
    key=("session_id",),
    columns=(
        Column("session_id", Kind.RECORD_ID, required=True),
        Column("patient_key", Kind.PATIENT_KEY, required=True),
        *COMMON,
        Column("started_at", Kind.TIMESTAMP, required=True),
        Column("route", Kind.CODE, required=True, codes=ROUTES),
        Column("drug", Kind.CODE, required=True, codes=DRUGS),
        Column("dose_mg", Kind.NUMBER, required=True, minimum=0, exclusive_minimum=True,
               maximum=1000),
        Column("weight_kg", Kind.NUMBER, minimum=20, maximum=300),
        _int("duration_min", 0, 600),
        _int("monitored_min", 0, 1440),
        Column("status", Kind.CODE, required=True, codes=SESSION_STATUSES),
        _int("sbp_pre", 50, 300),
        _int("sbp_peak", 50, 300),
        _int("sbp_post", 50, 300),
        _int("dbp_pre", 30, 200),
        _int("dbp_peak", 30, 200),
        _int("dbp_post", 30, 200),
        _int("hr_pre", 20, 250),
        _int("hr_peak", 20, 250),
        _int("spo2_min", 50, 100),
        _int("cadss", 0, 92),
        _int("moaas_min", 0, 5),
        Column("side_effects", Kind.CODE_LIST, codes=SIDE_EFFECTS),
    ),
)

ASSESSMENTS = Entity(
    "assessments",
    key=("assessment_id", "item"),
    columns=(
        Column("assessment_id", Kind.RECORD_ID, required=True),
        Column("patient_key", Kind.PATIENT_KEY, required=True),
        *COMMON,
        # The instrument list and ranges come from the instrument catalog seed.
        Column("instrument", Kind.CODE, required=True),
        Column("administered_at", Kind.TIMESTAMP, required=True),
        Column("item", Kind.ITEM, required=True),
        Column("value", Kind.NUMBER, required=True),
    ),
)

ADVERSE_EVENTS = Entity(
    "adverse_events",
    key=("event_id",),
    columns=(
        Column("event_id", Kind.RECORD_ID, required=True),
        Column("patient_key", Kind.PATIENT_KEY, required=True),
        *COMMON,
        Column("session_id", Kind.RECORD_ID),
        Column("onset_at", Kind.TIMESTAMP, required=True),
        Column("category", Kind.CODE, required=True, codes=AE_CATEGORIES),
        Column("severity", Kind.CODE, required=True, codes=AE_SEVERITIES),
        Column("serious", Kind.BOOLEAN, default="false"),
    ),
)

# Order matters: patients first, so that a run holding a patient and her
# sessions counts none of those sessions as orphans.
ENTITIES: dict[str, Entity] = {
    e.name: e for e in (PATIENTS, SESSIONS, ASSESSMENTS, ADVERSE_EVENTS)
}


def entity_for_file(file_name: str) -> Entity | None:
    """The entity is the file name's prefix (exports.md, "Files")."""
    lowered = file_name.lower()
    # Longest prefix first, should an entity ever prefix another.
    for name in sorted(ENTITIES, key=len, reverse=True):
        if lowered.startswith(name):
            return ENTITIES[name]
    return None


class Reason(StrEnum):
    """Row-level quarantine reasons (docs/ingest.md explains each)."""

    MISSING_REQUIRED = "MISSING_REQUIRED"
    INVALID_TYPE = "INVALID_TYPE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_CODE = "INVALID_CODE"
    MALFORMED_KEY = "MALFORMED_KEY"
    INVALID_DATE = "INVALID_DATE"
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    INCONSISTENT_ADMINISTRATION = "INCONSISTENT_ADMINISTRATION"
    TOTAL_MISMATCH = "TOTAL_MISMATCH"
    DUPLICATE_ITEM_CONFLICT = "DUPLICATE_ITEM_CONFLICT"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    ADMINISTRATION_REJECTED = "ADMINISTRATION_REJECTED"


class FileStatus(StrEnum):
    LOADED = "LOADED"
    DUPLICATE = "DUPLICATE"
    REJECTED_PHI = "REJECTED_PHI"
    REJECTED_SCHEMA = "REJECTED_SCHEMA"
    REJECTED_UNKNOWN_ENTITY = "REJECTED_UNKNOWN_ENTITY"
