"""Expectations several mart suites share: interface columns, scores within an instrument's
range, counts within their denominators, and rates inside their Wilson intervals."""

from __future__ import annotations

from collections.abc import Iterable

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from expectations.contract import instruments
from expectations.custom_expectations import FLOAT_TOLERANCE, ExpectColumnPairValuesAToBeAtLeastB

ALL = "ALL"  # the roll-up value of a grouping column


def expect_interface_columns(columns: Iterable[str]) -> Expectation:
    # spec/interface.md allows adding columns freely, so extra columns are not a failure.
    return gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False)


def expect_scores_within_instrument_totals(score_column: str) -> list[Expectation]:
    return [
        gxe.ExpectColumnValuesToBeBetween(
            column=score_column,
            min_value=instrument.total_min,
            max_value=instrument.total_max,
            row_condition=Column("instrument") == instrument.name,
        )
        for instrument in instruments().values()
        if instrument.has_total
    ]


def expect_count_within(part: str, whole: str) -> list[Expectation]:
    return [
        gxe.ExpectColumnValuesToBeBetween(column=part, min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=whole, column_B=part, or_equal=True),
    ]


def expect_rate(rate: str, denominator: str) -> list[Expectation]:
    """A fraction in [0, 1], null exactly when its denominator is 0 (spec/interface.md)."""
    return [
        gxe.ExpectColumnValuesToBeBetween(column=rate, min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeNull(column=rate, row_condition=Column(denominator) == 0),
        gxe.ExpectColumnValuesToNotBeNull(column=rate, row_condition=Column(denominator) > 0),
    ]


def expect_rate_with_interval(
    rate: str, low: str, high: str, denominator: str
) -> list[Expectation]:
    return [
        *expect_rate(rate, denominator),
        # Bounds computed in doubles can stray a few ulps outside [0, 1].
        *(
            gxe.ExpectColumnValuesToBeBetween(
                column=bound, min_value=-FLOAT_TOLERANCE, max_value=1 + FLOAT_TOLERANCE
            )
            for bound in (low, high)
        ),
        ExpectColumnPairValuesAToBeAtLeastB(column_A=rate, column_B=low),
        ExpectColumnPairValuesAToBeAtLeastB(column_A=high, column_B=rate),
    ]
