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


def _result() -> ExpectationSuiteValidationResult:
    return ExpectationSuiteValidationResult(success=True, results=[], suite_name="sessions",
                                            statistics=suite_statistics(0, 0), meta={})


def _pages(directory, folder: str) -> dict[str, int]:
    return {str(p.relative_to(directory)): p.stat().st_mtime_ns
            for p in (directory / data_docs.SITE_DIRECTORY / folder).rglob("*.html")}


def test_a_run_that_stopped_before_its_build_has_its_pages_rendered_by_the_next(tmp_path):
    data_docs.DataDocs(tmp_path).store(_result(), "raw.sessions", run_name="run-01")
    # That run's process ended without a build; the next run's process builds.
    later = data_docs.DataDocs(tmp_path)
    later.store(_result(), "raw.sessions", run_name="run-02")

    index = later.build().read_text()

    assert "run-01" in index and "run-02" in index
    rendered = "\n".join(_pages(tmp_path, "validations"))
    assert "run-01" in rendered and "run-02" in rendered


def test_each_build_renders_only_the_pages_stored_since_the_last(tmp_path):
    first = data_docs.DataDocs(tmp_path)
    first.workspace.suite("sessions")
    first.store(_result(), "raw.sessions", run_name="run-01")
    first.build()
    before = _pages(tmp_path, "validations") | _pages(tmp_path, "expectations")

    later = data_docs.DataDocs(tmp_path)  # a later run: the suite is unchanged
    later.workspace.suite("sessions")
    later.store(_result(), "raw.sessions", run_name="run-02")
    later.build()
    after = _pages(tmp_path, "validations") | _pages(tmp_path, "expectations")

    assert "expectations/sessions.html" in "\n".join(before)
    assert {page: after[page] for page in before} == before  # none rendered again
    assert [page for page in after if page not in before] == [
        page for page in after if "run-02" in page]


def test_a_damaged_list_of_unbuilt_pages_renders_every_page(tmp_path):
    docs = data_docs.DataDocs(tmp_path)
    docs.store(_result(), "raw.sessions", run_name="run-01")
    docs.build()
    docs.store(_result(), "raw.sessions", run_name="run-02")
    unbuilt = tmp_path / data_docs.UNBUILT_FILE
    unbuilt.write_text(unbuilt.read_text()[:-9])  # a process killed mid-line

    docs.build()

    assert "run-02" in "\n".join(_pages(tmp_path, "validations"))
    assert not unbuilt.exists()


def test_results_the_index_no_longer_lists_leave_gx_store_for_the_archive(tmp_path,
                                                                          monkeypatch):
    # GX walks its whole store and every rendered page at every build: left there, a
    # year of results would make every run's build slower.
    monkeypatch.setattr(data_docs, "INDEX_RESULTS", 3)
    for run in range(1, 7):
        docs = data_docs.DataDocs(tmp_path)  # each run's own process
        docs.store(_result(), "raw.sessions", run_name=f"run-{run:02d}")
        docs.build()

    store = tmp_path / "uncommitted" / "validations"
    archive = tmp_path / data_docs.ARCHIVE_DIRECTORY

    def runs(paths):
        return sorted({part for path in paths for part in path.parts if part.startswith("run-")})

    assert runs(store.rglob("*.json")) == ["run-04", "run-05", "run-06"]
    assert runs(archive.rglob("*.json")) == ["run-01", "run-02", "run-03"]
    assert not [folder for folder in store.rglob("*") if folder.is_dir()
                and not any(folder.iterdir())]
    # The pages stay bounded too: the index's, and the last archived until the next build.
    pages = (tmp_path / data_docs.SITE_DIRECTORY / "validations").rglob("*.html")
    assert runs(pages) == ["run-03", "run-04", "run-05", "run-06"]
    index = (tmp_path / data_docs.SITE_DIRECTORY / "index.html").read_text()
    assert [f"run-{run:02d}" in index for run in range(1, 7)] == [False] * 3 + [True] * 3
