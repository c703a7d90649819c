"""GX on marts.outcome_rates: one row per site x route x indication x denominator, each count
within its denominator and each rate inside its Wilson interval."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.contract import ROUTES, SITE_ID_PATTERN, indications
from expectations.marts.shared_checks import (
    ALL,
    expect_count_within,
    expect_interface_columns,
    expect_rate_with_interval,
)
from expectations.suite_building import assemble_suite, expect_not_null

SUITE_NAME = "marts.outcome_rates"

GROUP_COLUMNS = ("site_id", "route", "indication", "denominator")
COLUMNS = (
    *GROUP_COLUMNS, "n_courses", "n_responders", "response_rate", "response_ci_low",
    "response_ci_high", "n_remitters", "remission_rate", "remission_ci_low", "remission_ci_high",
)  # fmt: skip
DENOMINATORS = ("ITT", "COMPLETER")


def build_outcome_rates_suite() -> gx.ExpectationSuite:
    return assemble_suite(
        SUITE_NAME,
        [
            expect_interface_columns(COLUMNS),
            *expect_not_null([*GROUP_COLUMNS, "n_courses", "n_responders", "n_remitters"]),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(GROUP_COLUMNS)),
            gxe.ExpectColumnValuesToMatchRegex(column="site_id", regex=SITE_ID_PATTERN),
            gxe.ExpectColumnValuesToBeInSet(column="route", value_set=[*ROUTES, ALL]),
            gxe.ExpectColumnValuesToBeInSet(column="indication", value_set=[*indications(), ALL]),
            gxe.ExpectColumnValuesToBeInSet(column="denominator", value_set=list(DENOMINATORS)),
            gxe.ExpectColumnValuesToBeBetween(column="n_courses", min_value=0),
            *expect_count_within("n_responders", "n_courses"),
            *expect_count_within("n_remitters", "n_courses"),
            *expect_rate_with_interval(
                "response_rate", "response_ci_low", "response_ci_high", "n_courses"
            ),
            *expect_rate_with_interval(
                "remission_rate", "remission_ci_low", "remission_ci_high", "n_courses"
            ),
        ],
    )
