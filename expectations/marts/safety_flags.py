"""GX on marts.safety_flags: one row per flagged administration, each reason with its own
instrument and levels (spec/outcomes.md, "Safety flags")."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import PATIENT_KEY_PATTERN, SITE_ID_PATTERN
from expectations.marts.shared_checks import expect_interface_columns
from expectations.suite_building import assemble_suite, expect_not_null

SUITE_NAME = "marts.safety_flags"

COLUMNS = (
    "assessment_id", "patient_key", "site_id", "administered_at", "instrument", "reason", "level",
)  # fmt: skip
INSTRUMENT_OF_REASON = {"PHQ9_ITEM9": "PHQ9", "CSSRS": "CSSRS_SCREEN"}
# PHQ-9 item 9 answered 1..3; a C-SSRS screen at any risk level but NONE.
LEVELS_OF_REASON = {"PHQ9_ITEM9": ("1", "2", "3"), "CSSRS": ("LOW", "MODERATE", "HIGH")}


def build_safety_flags_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            expect_interface_columns(COLUMNS),
            *expect_not_null(COLUMNS),
            gxe.ExpectColumnValuesToBeUnique(column="assessment_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="patient_key", regex=PATIENT_KEY_PATTERN),
            gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
            gxe.ExpectColumnPairValuesToBeInSet(
                column_A="reason",
                column_B="instrument",
                value_pairs_set=list(INSTRUMENT_OF_REASON.items()),
            ),
            gxe.ExpectColumnPairValuesToBeInSet(
                column_A="reason",
                column_B="level",
                value_pairs_set=[
                    (reason, level)
                    for reason, levels in LEVELS_OF_REASON.items()
                    for level in levels
                ],
            ),
        ],
    )
