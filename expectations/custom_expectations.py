"""Expectations GX lacks: an ordering of two columns that forgives floating-point noise.

A Wilson interval computed in doubles straight from its formula lands up to a few ulps on
the wrong side of its rate (x = 0 of 7 gives a lower bound of -2.8e-17, x = 4 of 4 an upper
bound of 0.9999999999999999), so GX's exact `expect_column_pair_values_a_to_be_greater_than_b`
would fail a correct mart. The dbt macro pins those ends today; the guard should not depend
on it.
"""

from __future__ import annotations

from typing import ClassVar

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)

FLOAT_TOLERANCE = 1e-9


class ColumnPairValuesAAtLeastBWithinTolerance(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.a_at_least_b_within_tolerance"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("tolerance",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):  # noqa: N803 (GX's argument names)
        return column_A >= column_B - kwargs["tolerance"]


class ExpectColumnPairValuesAToBeAtLeastB(ColumnPairMapExpectation):
    """Expect column A >= column B - tolerance on every row where both are present.

    A row with one value missing is unexpected (a rate without its interval is a defect);
    a row with both missing is skipped (a rate and bound are both null when n = 0).
    """

    tolerance: float = FLOAT_TOLERANCE
    ignore_row_if: str = "both_values_are_missing"

    map_metric = "column_pair_values.a_at_least_b_within_tolerance"
    success_keys = ("column_A", "column_B", "ignore_row_if", "tolerance", "mostly")
    args_keys = ("column_A", "column_B", "tolerance")
    library_metadata: ClassVar[dict] = {"maturity": "experimental", "tags": ["ketreg"]}
