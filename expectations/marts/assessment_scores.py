"""GX on marts.assessment_scores: one row per current, scorable administration, its total in
the instrument's range and each instrument-specific column filled exactly where it applies."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.contract import PATIENT_KEY_PATTERN, SITE_ID_PATTERN, instruments
from expectations.marts.shared_checks import (
    expect_interface_columns,
    expect_scores_within_instrument_totals,
)
from expectations.suite_building import assemble_suite, expect_not_null

SUITE_NAME = "marts.assessment_scores"

COLUMNS = (
    "assessment_id", "patient_key", "site_id", "instrument", "administered_at", "total_score",
    "prorated", "severity_band", "cssrs_risk",
)  # fmt: skip
BANDED_INSTRUMENTS = ("PHQ9", "GAD7")
SEVERITY_BANDS = ("minimal", "mild", "moderate", "moderately_severe", "severe")
CSSRS_INSTRUMENT = "CSSRS_SCREEN"
CSSRS_RISK_LEVELS = ("NONE", "LOW", "MODERATE", "HIGH")


def build_assessment_scores_suite() -> gx.ExpectationSuite:
    catalog = instruments()
    with_total = [name for name, instrument in catalog.items() if instrument.has_total]
    without_total = [name for name in catalog if name not in with_total]
    return assemble_suite(
        SUITE_NAME,
        [
            expect_interface_columns(COLUMNS),
            *expect_not_null(
                ["assessment_id", "patient_key", "site_id", "instrument", "administered_at"]
            ),
            gxe.ExpectColumnValuesToBeUnique(column="assessment_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="patient_key", regex=PATIENT_KEY_PATTERN),
            gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
            gxe.ExpectColumnValuesToBeInSet(column="instrument", value_set=list(catalog)),
            *(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column, row_condition=Column("instrument").is_in(with_total)
                )
                for column in ("total_score", "prorated")
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="total_score", row_condition=Column("instrument").is_in(without_total)
            ),
            *expect_scores_within_instrument_totals("total_score"),
            gxe.ExpectColumnValuesToBeInSet(column="severity_band", value_set=list(SEVERITY_BANDS)),
            gxe.ExpectColumnValuesToNotBeNull(
                column="severity_band", row_condition=Column("instrument").is_in(BANDED_INSTRUMENTS)
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="severity_band",
                row_condition=Column("instrument").is_not_in(BANDED_INSTRUMENTS),
            ),
            gxe.ExpectColumnValuesToBeInSet(column="cssrs_risk", value_set=list(CSSRS_RISK_LEVELS)),
            gxe.ExpectColumnValuesToNotBeNull(
                column="cssrs_risk", row_condition=Column("instrument") == CSSRS_INSTRUMENT
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="cssrs_risk", row_condition=Column("instrument") != CSSRS_INSTRUMENT
            ),
        ],
    )
