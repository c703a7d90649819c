"""GX at the door for raw.patients: the accepted, typed rows of one patients file."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import SEXES, indications
from expectations.entities.common_columns import common_expectations, expect_patient_key
from expectations.suite_building import ColumnType, assemble_suite

SUITE_NAME = "patients"

COLUMN_TYPES = {
    "patient_key": ColumnType.TEXT,
    "site_id": ColumnType.TEXT,
    "record_version": ColumnType.INTEGER,
    "entered_in_error": ColumnType.BOOLEAN,
    "birth_year": ColumnType.INTEGER,
    "sex": ColumnType.TEXT,
    "primary_indication": ColumnType.TEXT,
    "prior_treatment_failures": ColumnType.INTEGER,
    "enrolled_on": ColumnType.TIMESTAMP,  # a DATE arrives in pandas as datetime64
    "_file_sha256": ColumnType.TEXT,
    "_row_number": ColumnType.INTEGER,
    "_load_id": ColumnType.INTEGER,
    "_loaded_at": ColumnType.TIMESTAMP,
}


def build_patients_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            *common_expectations(
                COLUMN_TYPES,
                key=["patient_key"],
                not_null=["patient_key", "sex", "primary_indication", "enrolled_on"],
            ),
            expect_patient_key(),
            gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=list(SEXES)),
            gxe.ExpectColumnValuesToBeInSet(
                column="primary_indication", value_set=list(indications())
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="prior_treatment_failures", min_value=0, max_value=50
            ),
        ],
    )
