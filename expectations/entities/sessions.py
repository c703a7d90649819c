"""GX at the door for raw.sessions: the accepted, typed rows of one sessions file."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import DRUGS, ROUTES, SESSION_STATUSES, SIDE_EFFECTS
from expectations.entities.common_columns import (
    common_expectations,
    expect_patient_key,
    expect_record_id,
)
from expectations.suite_building import ColumnType, assemble_suite

SUITE_NAME = "sessions"

COLUMN_TYPES = {
    "session_id": ColumnType.TEXT,
    "patient_key": ColumnType.TEXT,
    "site_id": ColumnType.TEXT,
    "record_version": ColumnType.INTEGER,
    "entered_in_error": ColumnType.BOOLEAN,
    "started_at": ColumnType.TIMESTAMP,
    "route": ColumnType.TEXT,
    "drug": ColumnType.TEXT,
    "dose_mg": ColumnType.FLOAT,
    "weight_kg": ColumnType.FLOAT,
    "duration_min": ColumnType.INTEGER,
    "monitored_min": ColumnType.INTEGER,
    "status": ColumnType.TEXT,
    "sbp_pre": ColumnType.INTEGER,
    "sbp_peak": ColumnType.INTEGER,
    "sbp_post": ColumnType.INTEGER,
    "dbp_pre": ColumnType.INTEGER,
    "dbp_peak": ColumnType.INTEGER,
    "dbp_post": ColumnType.INTEGER,
    "hr_pre": ColumnType.INTEGER,
    "hr_peak": ColumnType.INTEGER,
    "spo2_min": ColumnType.INTEGER,
    "cadss": ColumnType.INTEGER,
    "moaas_min": ColumnType.INTEGER,
    "side_effects": ColumnType.TEXT,
    "_file_sha256": ColumnType.TEXT,
    "_row_number": ColumnType.INTEGER,
    "_load_id": ColumnType.INTEGER,
    "_loaded_at": ColumnType.TIMESTAMP,
}

# Inclusive contract ranges of the optional numeric columns (spec/exports.md).
OPTIONAL_RANGES = {
    "weight_kg": (20, 300),
    "duration_min": (0, 600),
    "monitored_min": (0, 1440),
    **dict.fromkeys(("sbp_pre", "sbp_peak", "sbp_post"), (50, 300)),
    **dict.fromkeys(("dbp_pre", "dbp_peak", "dbp_post"), (30, 200)),
    **dict.fromkeys(("hr_pre", "hr_peak"), (20, 250)),
    "spo2_min": (50, 100),
    "cadss": (0, 92),
    "moaas_min": (0, 5),
}

_EFFECT = "(?:" + "|".join(SIDE_EFFECTS) + ")"
# The ingest stores side effects upper-case and ';'-joined, or null when none are listed.
SIDE_EFFECTS_PATTERN = rf"^{_EFFECT}(?:;{_EFFECT})*$"


def build_sessions_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            *common_expectations(
                COLUMN_TYPES,
                key=["session_id"],
                not_null=[
                    "session_id",
                    "patient_key",
                    "started_at",
                    "route",
                    "drug",
                    "dose_mg",
                    "status",
                ],
            ),
            expect_record_id("session_id"),
            expect_patient_key(),
            gxe.ExpectColumnValuesToBeInSet(column="route", value_set=list(ROUTES)),
            gxe.ExpectColumnValuesToBeInSet(column="drug", value_set=list(DRUGS)),
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(SESSION_STATUSES)),
            gxe.ExpectColumnValuesToBeBetween(
                column="dose_mg", min_value=0, max_value=1000, strict_min=True
            ),
            *(
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)
                for column, (low, high) in OPTIONAL_RANGES.items()
            ),
            gxe.ExpectColumnValuesToMatchRegex(column="side_effects", regex=SIDE_EFFECTS_PATTERN),
        ],
    )
