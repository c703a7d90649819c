"""The one result shape every check in this package returns, GX suite or plain Python check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from expectations.row_conditions import condition_sql
from expectations.value_groups import columns_named


@dataclass(frozen=True)
class SuiteResult:
    suite_name: str
    success: bool
    evaluated: int
    failed: int
    # One line per failed expectation: its type, columns and counts, never a row's values.
    failures: list[str] = field(default_factory=list)
    # GX's result, redacted (expectations.redaction), or a plain check's as GX's JSON.
    source: ExpectationSuiteValidationResult | dict = field(default_factory=dict, repr=False)

    @property
    def raw(self) -> dict:
        """The whole result as GX's JSON. Built when asked for: GX's serialisation costs
        ~20-40 ms a suite, and a run reads only the summary fields above."""
        return self.source if isinstance(self.source, dict) else self.source.to_json_dict()


@dataclass(frozen=True)
class PlainCheck:
    """A check GX has no expectation for (freshness, volume), reported like one."""

    check_type: str
    kwargs: dict[str, Any]
    success: bool
    message: str
    observed: dict[str, Any]


def suite_result_from_gx(suite_name: str, result: ExpectationSuiteValidationResult) -> SuiteResult:
    """`result` must already be redacted: it is kept, as `raw` gives it."""
    failed = [r for r in result.results if not r.success]
    return SuiteResult(
        suite_name=suite_name,
        success=bool(result.success),
        evaluated=len(result.results),
        failed=len(failed),
        failures=[describe_failure(r) for r in failed],
        source=result,
    )


def suite_result_from_plain_checks(suite_name: str, checks: list[PlainCheck]) -> SuiteResult:
    results = [
        {
            "success": check.success,
            "expectation_config": {"type": check.check_type, "kwargs": check.kwargs, "meta": {}},
            "result": check.observed,
            "meta": {"message": check.message},
            "exception_info": {"raised_exception": False},
        }
        for check in checks
    ]
    failed = [check for check in checks if not check.success]
    evaluated = len(checks)
    return SuiteResult(
        suite_name=suite_name,
        success=not failed,
        evaluated=evaluated,
        failed=len(failed),
        failures=[f"{check.check_type}: {check.message}" for check in failed],
        source={
            "success": not failed,
            "suite_name": suite_name,
            "results": results,
            "statistics": suite_statistics(evaluated, passed=evaluated - len(failed)),
        },
    )


def suite_statistics(evaluated: int, passed: int) -> dict:
    """The `statistics` block of a GX suite result."""
    return {
        "evaluated_expectations": evaluated,
        "successful_expectations": passed,
        "unsuccessful_expectations": evaluated - passed,
        "success_percent": 100.0 * passed / evaluated if evaluated else None,
    }


def describe_failure(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    kwargs = config.kwargs
    where = (
        f" where {condition_sql(kwargs['row_condition'])}" if kwargs.get("row_condition") else ""
    )
    head = f"{config.type}({', '.join(columns_named(kwargs))}){where}"
    observed = result.result or {}
    exception = result.exception_info or {}
    if exception.get("raised_exception"):
        return f"{head}: raised {exception.get('exception_message')}"
    if "unexpected_count" in observed:
        return (
            f"{head}: {observed['unexpected_count']} unexpected of "
            f"{observed.get('element_count')} rows"
        )
    mismatched = (observed.get("details") or {}).get("mismatched")
    if mismatched:
        parts = [f"{side} columns {sorted(mismatched[side])}" for side in sorted(mismatched)]
        return f"{head}: {'; '.join(parts)}"
    if "observed_value" in observed:  # only a shape survives redaction: a dtype, a count
        return f"{head}: observed {observed['observed_value']}"
    return f"{head}: failed"


def map_result_counts(element_count: int, unexpected_count: int, missing_count: int) -> dict:
    """The counts of a GX column-map result, percentages derived as GX derives them."""
    nonmissing = element_count - missing_count
    return {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_percent": _percent(unexpected_count, nonmissing),
        "missing_count": missing_count,
        "missing_percent": _percent(missing_count, element_count),
        "unexpected_percent_total": _percent(unexpected_count, element_count),
        "unexpected_percent_nonmissing": _percent(unexpected_count, nonmissing),
    }


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
