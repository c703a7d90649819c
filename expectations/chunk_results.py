"""Combine the GX results of one suite run over several chunks of a table into one result."""

from __future__ import annotations

import json
from collections.abc import Iterable

from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from expectations.result import suite_statistics

_SUMMED = ("element_count", "unexpected_count", "missing_count")


def expectation_key(result: ExpectationValidationResult) -> str:
    # GX orders results by its own metric plan, not by the suite, so chunks are matched by
    # what each expectation is rather than by position.
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return config.type + json.dumps(kwargs, sort_keys=True, default=str)


def merge_expectation_results(
    results: list[ExpectationValidationResult],
) -> ExpectationValidationResult:
    """Results of one expectation, one per chunk. The suites use no `mostly`, so an
    expectation holds for the table exactly when it holds in every chunk."""
    first_failure = next((r for r in results if not r.success), results[0])
    merged = first_failure.result or {}
    if all("unexpected_count" in (r.result or {}) for r in results):
        merged = map_result_counts(
            *(sum((r.result or {}).get(key, 0) for r in results) for key in _SUMMED)
        )
    return ExpectationValidationResult(
        success=all(r.success for r in results),
        expectation_config=first_failure.expectation_config,
        result=merged,
        exception_info=first_failure.exception_info,
    )


def merge_chunk_results(
    suite_name: str,
    chunks: list[ExpectationSuiteValidationResult],
    whole_table_results: Iterable[ExpectationValidationResult],
    meta: dict,
) -> ExpectationSuiteValidationResult:
    by_expectation: dict[str, list[ExpectationValidationResult]] = {}
    for chunk in chunks:
        for result in chunk.results:
            by_expectation.setdefault(expectation_key(result), []).append(result)
    results = [merge_expectation_results(rs) for rs in by_expectation.values()]
    results += list(whole_table_results)
    passed = sum(1 for r in results if r.success)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite_name,
        statistics=suite_statistics(len(results), passed),
        meta=(chunks[0].meta if chunks else {}) | meta,
    )


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
