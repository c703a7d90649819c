"""GX at the door for raw.adverse_events: the accepted, typed rows of one adverse-events file."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import ADVERSE_EVENT_CATEGORIES, ADVERSE_EVENT_SEVERITIES
from expectations.entities.common_columns import (
    common_expectations,
    expect_patient_key,
    expect_record_id,
)
from expectations.suite_building import ColumnType, assemble_suite

SUITE_NAME = "adverse_events"

COLUMN_TYPES = {
    "event_id": ColumnType.TEXT,
    "patient_key": ColumnType.TEXT,
    "site_id": ColumnType.TEXT,
    "record_version": ColumnType.INTEGER,
    "entered_in_error": ColumnType.BOOLEAN,
    "session_id": ColumnType.TEXT,
    "onset_at": ColumnType.TIMESTAMP,
    "category": ColumnType.TEXT,
    "severity": ColumnType.TEXT,
    "serious": ColumnType.BOOLEAN,
    "_file_sha256": ColumnType.TEXT,
    "_row_number": ColumnType.INTEGER,
    "_load_id": ColumnType.INTEGER,
    "_loaded_at": ColumnType.TIMESTAMP,
}


def build_adverse_events_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            *common_expectations(
                COLUMN_TYPES,
                key=["event_id"],
                not_null=["event_id", "patient_key", "onset_at", "category", "severity", "serious"],
            ),
            expect_record_id("event_id"),
            expect_patient_key(),
            expect_record_id("session_id"),  # optional: nulls are not judged
            gxe.ExpectColumnValuesToBeInSet(
                column="category", value_set=list(ADVERSE_EVENT_CATEGORIES)
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="severity", value_set=list(ADVERSE_EVENT_SEVERITIES)
            ),
        ],
    )
