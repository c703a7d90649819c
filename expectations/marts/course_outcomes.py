"""GX on marts.course_outcomes: one row per course and instrument, exactly one of them primary.

A join fanning out (a course counted twice) or dropping its primary row shows up here as a
repeated key; flags that contradict each other show a broken outcome derivation.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.contract import (
    DRUGS,
    PATIENT_KEY_PATTERN,
    ROUTES,
    SITE_ID_PATTERN,
    indications,
    instruments,
    primary_instrument_by_indication,
)
from expectations.marts.shared_checks import (
    expect_interface_columns,
    expect_scores_within_instrument_totals,
)
from expectations.suite_building import assemble_suite, expect_not_null

SUITE_NAME = "marts.course_outcomes"

COLUMNS = (
    "course_id", "patient_key", "course_number", "site_id", "route", "drug", "mixed_route",
    "indication", "instrument", "is_primary", "course_start", "n_sessions", "baseline_score",
    "endpoint_score", "evaluable", "itt_eligible", "completer", "change_pct", "responded",
    "remitted", "deteriorated",
)  # fmt: skip
MAY_BE_NULL = ("baseline_score", "endpoint_score", "change_pct")

# course_id is patient_key || ':' || course_number (spec/outcomes.md).
COURSE_ID_PATTERN = PATIENT_KEY_PATTERN.removesuffix("$") + r":[1-9][0-9]*$"

# Each flag may hold only on rows where the flag it depends on holds.
FLAG_PREREQUISITES = {
    "itt_eligible": "evaluable",
    "completer": "itt_eligible",
    "responded": "completer",
    "remitted": "completer",
    "deteriorated": "completer",
}


def build_course_outcomes_suite() -> gx.ExpectationSuite:
    primary_rows = Column("is_primary") == True  # noqa: E712 (builds a GX condition)
    return assemble_suite(
        SUITE_NAME,
        [
            expect_interface_columns(COLUMNS),
            *expect_not_null(c for c in COLUMNS if c not in MAY_BE_NULL),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["course_id", "instrument"]),
            gxe.ExpectColumnValuesToBeUnique(column="course_id", row_condition=primary_rows),
            # One expectation per indication because GX 1.24's pandas column-pair "in set"
            # ignores its row condition when counting unexpected rows (and then raises).
            *(
                gxe.ExpectColumnValuesToBeInSet(
                    column="instrument",
                    value_set=[instrument],
                    row_condition=primary_rows & (Column("indication") == indication),
                )
                for indication, instrument in primary_instrument_by_indication().items()
            ),
            gxe.ExpectColumnValuesToMatchRegex(column="course_id", regex=COURSE_ID_PATTERN),
            gxe.ExpectColumnValuesToMatchRegex(column="patient_key", regex=PATIENT_KEY_PATTERN),
            gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
            gxe.ExpectColumnValuesToBeInSet(column="route", value_set=list(ROUTES)),
            gxe.ExpectColumnValuesToBeInSet(column="drug", value_set=list(DRUGS)),
            gxe.ExpectColumnValuesToBeInSet(column="indication", value_set=list(indications())),
            gxe.ExpectColumnValuesToBeInSet(
                column="instrument",
                value_set=[name for name, i in instruments().items() if i.has_total],
            ),
            gxe.ExpectColumnValuesToBeBetween(column="course_number", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="n_sessions", min_value=1),
            *expect_scores_within_instrument_totals("baseline_score"),
            *expect_scores_within_instrument_totals("endpoint_score"),
            # (baseline - endpoint) / baseline with scores >= 0 cannot exceed 1.
            gxe.ExpectColumnValuesToBeBetween(column="change_pct", max_value=1),
            *(
                gxe.ExpectColumnValuesToBeInSet(
                    column=prerequisite,
                    value_set=[True],
                    row_condition=Column(flag) == True,  # noqa: E712
                )
                for flag, prerequisite in FLAG_PREREQUISITES.items()
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="baseline_score",
                row_condition=Column("evaluable") == True,  # noqa: E712
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="endpoint_score",
                row_condition=Column("completer") == True,  # noqa: E712
            ),
        ],
    )
