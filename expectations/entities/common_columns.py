"""Expectations every entity's accepted rows share: the contract's common columns, the load's
lineage columns, the exact column set, and one row per (key, record_version)."""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.contract import (
    FILE_SHA256_PATTERN,
    PATIENT_KEY_PATTERN,
    RECORD_ID_MAX_LENGTH,
    SITE_ID_PATTERN,
)
from expectations.suite_building import (
    ColumnType,
    expect_exact_columns,
    expect_not_null,
    expect_types,
)

COMMON_COLUMN_TYPES = {
    "site_id": ColumnType.TEXT,
    "record_version": ColumnType.INTEGER,
    "entered_in_error": ColumnType.BOOLEAN,
}
LINEAGE_COLUMN_TYPES = {
    "_file_sha256": ColumnType.TEXT,
    "_row_number": ColumnType.INTEGER,
    "_load_id": ColumnType.INTEGER,
    "_loaded_at": ColumnType.TIMESTAMP,
}


def common_expectations(
    column_types: dict[str, ColumnType], key: list[str], not_null: list[str]
) -> list[Expectation]:
    """`column_types`: every column of the entity's raw table in warehouse.sql, in order.
    `key`: the record's key; `not_null`: the entity's own columns declared not null."""
    missing = (COMMON_COLUMN_TYPES | LINEAGE_COLUMN_TYPES).keys() - column_types.keys()
    if missing:
        raise ValueError(f"column_types lacks {sorted(missing)}")
    return [
        expect_exact_columns(column_types),
        *expect_types(column_types),
        *expect_not_null([*not_null, *COMMON_COLUMN_TYPES, *LINEAGE_COLUMN_TYPES]),
        gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
        gxe.ExpectColumnValuesToBeBetween(column="record_version", min_value=1),
        gxe.ExpectColumnValuesToMatchRegex(column="_file_sha256", regex=FILE_SHA256_PATTERN),
        gxe.ExpectColumnValuesToBeBetween(column="_row_number", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="_load_id", min_value=1),
        # The load keeps only the first row of each (key, version): a repeat is an ingest bug.
        gxe.ExpectCompoundColumnsToBeUnique(column_list=[*key, "record_version"]),
    ]


def expect_patient_key(column: str = "patient_key") -> Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=PATIENT_KEY_PATTERN)


def expect_record_id(column: str) -> Expectation:
    return gxe.ExpectColumnValueLengthsToBeBetween(
        column=column, min_value=1, max_value=RECORD_ID_MAX_LENGTH
    )
