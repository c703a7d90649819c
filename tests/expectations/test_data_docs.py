"""The data-docs index stays the same size however many runs came before."""

from __future__ import annotations

from great_expectations.core import ExpectationSuiteValidationResult

from expectations import data_docs
from expectations.result import suite_statistics
from expectations.runner import validate_frame


def test_the_index_lists_only_the_newest_results(tmp_path, monkeypatch, typed_frame, valid_rows):
    monkeypatch.setattr(data_docs, "INDEX_RESULTS", 3)
    docs = data_docs.DataDocs(tmp_path)
    validate_frame("sessions", typed_frame("sessions", valid_rows("sessions")), context=docs,
                   run_name="run-00")
    for run in range(1, 6):
        docs.store(
            ExpectationSuiteValidationResult(success=True, results=[], suite_name="sessions",
                                             statistics=suite_statistics(0, 0), meta={}),
            batch_name="sessions", run_name=f"run-{run:02d}",
        )

    index = docs.build().read_text()

    assert [f"run-{run:02d}" in index for run in range(6)] == [False] * 3 + [True] * 3
