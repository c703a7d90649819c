"""GX on marts.side_effect_rates: one row per site x route x effect, counts within their
denominators, session rates inside their Wilson intervals."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import ROUTES, SIDE_EFFECTS, SITE_ID_PATTERN
from expectations.marts.shared_checks import (
    ALL,
    expect_count_within,
    expect_interface_columns,
    expect_rate,
    expect_rate_with_interval,
)
from expectations.suite_building import assemble_suite, expect_not_null

SUITE_NAME = "marts.side_effect_rates"

GROUP_COLUMNS = ("site_id", "route", "effect")
COUNT_COLUMNS = ("n_sessions", "n_sessions_with_effect", "n_courses", "n_courses_with_effect")
COLUMNS = (
    *GROUP_COLUMNS, "n_sessions", "n_sessions_with_effect", "session_rate", "session_ci_low",
    "session_ci_high", "n_courses", "n_courses_with_effect", "course_rate",
)  # fmt: skip
# spec/outcomes.md: every listed effect, plus the derived ones.
EFFECTS = (*SIDE_EFFECTS, "ANY", "BP_EXCURSION", "TERMINATED_EARLY")


def build_side_effect_rates_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            expect_interface_columns(COLUMNS),
            *expect_not_null([*GROUP_COLUMNS, *COUNT_COLUMNS]),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(GROUP_COLUMNS)),
            gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
            gxe.ExpectColumnValuesToBeInSet(column="route", value_set=[*ROUTES, ALL]),
            gxe.ExpectColumnValuesToBeInSet(column="effect", value_set=list(EFFECTS)),
            gxe.ExpectColumnValuesToBeBetween(column="n_sessions", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="n_courses", min_value=0),
            *expect_count_within("n_sessions_with_effect", "n_sessions"),
            *expect_count_within("n_courses_with_effect", "n_courses"),
            *expect_rate_with_interval(
                "session_rate", "session_ci_low", "session_ci_high", "n_sessions"
            ),
            *expect_rate("course_rate", "n_courses"),
        ],
    )
