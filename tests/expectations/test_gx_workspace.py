"""The suites kept in the data-docs context follow the code, and are written only when
the code changed them."""

from __future__ import annotations

import great_expectations as gx

from expectations import gx_workspace
from expectations.data_docs import DataDocs
from expectations.registry import build_suite


def test_an_unchanged_suite_is_not_written_again(tmp_path):
    DataDocs(tmp_path).workspace.suite("sessions")
    stored = tmp_path / "expectations" / "sessions.json"
    first_write = stored.stat().st_mtime_ns, stored.read_text()

    suite = DataDocs(tmp_path).workspace.suite("sessions")  # a later run's process

    assert (stored.stat().st_mtime_ns, stored.read_text()) == first_write
    assert len(suite.expectations) == len(build_suite("sessions").expectations)


def test_a_suite_the_code_changed_is_written_again(tmp_path, monkeypatch):
    DataDocs(tmp_path).workspace.suite("sessions")

    def one_more_expectation(name):
        suite = build_suite(name)
        suite.add_expectation(
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=0, max_value=10**12))
        return suite

    monkeypatch.setattr(gx_workspace, "build_suite", one_more_expectation)
    DataDocs(tmp_path).workspace.suite("sessions")

    monkeypatch.undo()
    reread = DataDocs(tmp_path).workspace.context.suites.get("sessions")
    assert len(reread.expectations) == len(build_suite("sessions").expectations) + 1
