"""Strip row values out of GX validation results before anything keeps or shows them.

A failing batch may carry clinical data, and GX puts samples of the offending values into
every result (partial_unexpected_list, observed minima and maxima, exception messages). What
survives here is counts, column names, dtype names and the suite's own parameters.
"""

from __future__ import annotations

import re

from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

COUNT_KEYS = (
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
    "missing_count",
    "missing_percent",
)

# Expectations whose observed_value describes the frame's shape, never a value in a row.
SHAPE_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_be_of_type",  # a dtype name
        "expect_column_values_to_be_in_type_list",
        "expect_table_columns_to_match_set",  # column names
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_table_row_count_to_equal",
        "expect_table_row_count_to_be_between",
    }
)

META_KEYS = (
    "great_expectations_version",
    "active_batch_definition",
    "run_id",
    "validation_time",
    "table",
    "rows",
)

_EXCEPTION_NAME = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning))\b")


def redact_suite_result(result: ExpectationSuiteValidationResult) -> None:
    """Redact in place, so the object GX stores for the data docs is the redacted one."""
    for expectation_result in result.results:
        redact_expectation_result(expectation_result)
    result.meta = {key: result.meta[key] for key in META_KEYS if key in result.meta}


def redact_expectation_result(result: ExpectationValidationResult) -> None:
    kind = result.expectation_config.type
    original = result.result or {}
    kept = {key: original[key] for key in COUNT_KEYS if key in original}
    if kind in SHAPE_EXPECTATIONS:
        for key in ("observed_value", "details"):
            if key in original:
                kept[key] = original[key]
    result.result = kept
    result.exception_info = _redact_exception_info(result.exception_info or {})


def _redact_exception_info(info: dict) -> dict:
    # GX reports one exception either flat or keyed by the metric that raised it.
    raised = [info] if "raised_exception" in info else list(info.values())
    raised = [
        entry for entry in raised if isinstance(entry, dict) and entry.get("raised_exception")
    ]
    if not raised:
        return {"raised_exception": False, "exception_message": None, "exception_traceback": None}
    return {
        "raised_exception": True,
        # The exception's class says what went wrong; its message may quote a value.
        "exception_message": exception_name(raised[0]),
        "exception_traceback": None,
    }


def exception_name(entry: dict) -> str:
    for text in (entry.get("exception_traceback"), entry.get("exception_message")):
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines and (match := _EXCEPTION_NAME.match(lines[-1])):
            return match.group(1).rsplit(".", 1)[-1]
    return "an exception"
