"""GX at the door for raw.assessments: the accepted, typed item rows of one assessments file."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from expectations.contract import ASSESSMENT_ITEM_PATTERN, Instrument, instruments
from expectations.entities.common_columns import (
    common_expectations,
    expect_patient_key,
    expect_record_id,
)
from expectations.suite_building import ColumnType, assemble_suite

SUITE_NAME = "assessments"

COLUMN_TYPES = {
    "assessment_id": ColumnType.TEXT,
    "item": ColumnType.TEXT,
    "patient_key": ColumnType.TEXT,
    "site_id": ColumnType.TEXT,
    "record_version": ColumnType.INTEGER,
    "entered_in_error": ColumnType.BOOLEAN,
    "instrument": ColumnType.TEXT,
    "administered_at": ColumnType.TIMESTAMP,
    "value": ColumnType.INTEGER,
    "_file_sha256": ColumnType.TEXT,
    "_row_number": ColumnType.INTEGER,
    "_load_id": ColumnType.INTEGER,
    "_loaded_at": ColumnType.TIMESTAMP,
}


def instrument_expectations(instrument: Instrument) -> list[Expectation]:
    """Items that exist for the instrument, item values and totals within its ranges."""
    rows = Column("instrument") == instrument.name
    found = [
        gxe.ExpectColumnValuesToBeInSet(
            column="item", value_set=instrument.item_labels, row_condition=rows
        )
    ]
    if instrument.n_items:
        found.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=instrument.item_min,
                max_value=instrument.item_max,
                row_condition=rows & (Column("item") != "total"),
            )
        )
    if instrument.has_total:
        found.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=instrument.total_min,
                max_value=instrument.total_max,
                row_condition=rows & (Column("item") == "total"),
            )
        )
    return found


def build_assessments_suite() -> gx.ExpectationSuite:
    catalog = instruments()
    return assemble_suite(
        SUITE_NAME,
        [
            *common_expectations(
                COLUMN_TYPES,
                # One row per item of an administration and version (spec/exports.md).
                key=["assessment_id", "item"],
                not_null=[
                    "assessment_id",
                    "item",
                    "patient_key",
                    "instrument",
                    "administered_at",
                    "value",
                ],
            ),
            expect_record_id("assessment_id"),
            expect_patient_key(),
            gxe.ExpectColumnValuesToMatchRegex(column="item", regex=ASSESSMENT_ITEM_PATTERN),
            gxe.ExpectColumnValuesToBeInSet(column="instrument", value_set=list(catalog)),
            *(e for instrument in catalog.values() for e in instrument_expectations(instrument)),
        ],
    )
