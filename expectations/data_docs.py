"""GX data docs kept under one directory (KETREG_HOME/gx): validation results accumulate there
run after run and render to HTML in its data_docs/ folder.

The GX context is ephemeral with filesystem stores rather than a file context: a file context
rewrites great_expectations.yml whenever a data source or asset is added, and Dagster may run
several checks at once in separate processes. Whatever this module writes under the
directory, it writes holding an exclusive lock on it.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    FilesystemStoreBackendDefaults,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations.gx_workspace import GxWorkspace
from expectations.verdicts import Verdicts

SITE_NAME = "ketreg"
SITE_DIRECTORY = "data_docs"  # under the GX directory
LOCK_FILE = ".lock"
# Passing results kept by what they judged (verdicts.py), reused by later runs.
VERDICTS_DIRECTORY = "verdicts"
# Pages stored but not yet rendered, one JSON line each, kept across runs: a run that stops
# before its last build leaves its pages to the next build rather than losing them.
UNBUILT_FILE = "unbuilt.jsonl"
# The index lists the newest results only, about ten runs'. GX reads every result it
# lists, whole, to draw the index (~2.2 ms a result): listing 1,000 cost ~2.2 s of every
# run once ~100 runs had stored that many, 100 cost ~0.2 s. Older results go to
# ARCHIVE_DIRECTORY; ops.gx_results (the data-quality page) keeps the whole history.
INDEX_RESULTS = 100
# Results the index no longer lists leave GX's store for this folder: every build walks
# the store and parses every key in it, and every rendered page (~0.5 ms a result, ~9 a
# run): ~0.3 s a build at 600 results, ~1.5 s after a year. GX then removes their pages,
# which the index no longer linked; ops.gx_results keeps every result for the Data
# quality page.
ARCHIVE_DIRECTORY = "validations_archive"


class DataDocs:
    """Use `DataDocs.open(directory)`: it makes one per directory per process, because a GX
    context is slow to set up."""

    def __init__(self, directory: Path):
        self.directory = Path(directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        config = DataContextConfig(
            store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=self.directory),
            data_docs_sites={
                SITE_NAME: {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.directory / SITE_DIRECTORY),
                    },
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": INDEX_RESULTS,
                    },
                }
            },
        )
        with self.exclusive():  # the stores create their folders as the context starts
            context = gx.get_context(project_config=config, mode="ephemeral")
        # A suite's page is rendered again only when the code changed the suite.
        self.workspace = GxWorkspace(
            context, store_lock=self.exclusive,
            on_suite_written=lambda name: self._queue(ExpectationSuiteIdentifier(name=name)),
            verdicts=Verdicts(self.directory / VERDICTS_DIRECTORY),
        )

    @classmethod
    def open(cls, directory: Path | str) -> DataDocs:
        return _open_data_docs(Path(directory).resolve())

    @property
    def index_path(self) -> Path:
        return self.directory / SITE_DIRECTORY / "index.html"

    @property
    def _unbuilt_path(self) -> Path:
        return self.directory / UNBUILT_FILE

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the directory against other processes writing it."""
        with (self.directory / LOCK_FILE).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def store(
        self, result: ExpectationSuiteValidationResult, batch_name: str, run_name: str | None
    ) -> None:
        """Keep a (redacted) result for the next build; `batch_name` names what was validated."""
        run_id = RunIdentifier(run_name=run_name, run_time=datetime.datetime.now(datetime.UTC))
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = run_id.run_time
        result.meta["batch_kwargs"] = {"data_asset_name": batch_name}  # the page's "Data asset"
        suite_id = ExpectationSuiteIdentifier(name=result.suite_name)
        result_id = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=batch_name
        )
        with self.exclusive():
            self.workspace.context.validation_results_store.store_validation_results(
                suite_validation_result=result,
                suite_validation_result_identifier=result_id,
                expectation_suite_identifier=suite_id,
            )
            self._queue(result_id)

    def build(self) -> Path:
        """Render the pages stored since the last build, this process's or an earlier one's,
        and the index of the newest results; returns the index.html. Each build costs about
        a second whatever it renders: call it once per run, after the last validation."""
        with self.exclusive():
            unbuilt = self._unbuilt()
            if unbuilt != [] or not self.index_path.exists():
                # Rendering every stored result again would cost ~0.1 s a result, minutes
                # after a year of runs: only the unbuilt ones are named. None (no index yet,
                # or a damaged list) renders them all.
                self.workspace.context.build_data_docs(
                    site_names=[SITE_NAME], resource_identifiers=unbuilt or None
                )
            self._unbuilt_path.unlink(missing_ok=True)
            self._archive_unlisted()
        return self.index_path

    def _archive_unlisted(self) -> None:
        """Move every stored result but the newest INDEX_RESULTS out of GX's store, with the
        folders it leaves empty; the caller holds the lock."""
        store = Path(self.workspace.context.validation_results_store.store_backend
                     .full_base_directory)
        # <suite>/<run name>/<run time>/<batch>.json: run times are fixed-width UTC stamps.
        stored = sorted(store.rglob("*.json"), key=lambda path: path.parent.name, reverse=True)
        for path in stored[INDEX_RESULTS:]:
            kept = self.directory / ARCHIVE_DIRECTORY / path.relative_to(store)
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, kept)
            folder = path.parent
            while folder != store and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent

    def _queue(self, identifier: ExpectationSuiteIdentifier | ValidationResultIdentifier) -> None:
        """Add a page to the next build; the caller holds the directory's lock."""
        kind = "suite" if isinstance(identifier, ExpectationSuiteIdentifier) else "result"
        with self._unbuilt_path.open("a") as handle:
            handle.write(json.dumps([kind, list(identifier.to_tuple())]) + "\n")

    def _unbuilt(self) -> list[ExpectationSuiteIdentifier | ValidationResultIdentifier] | None:
        """The pages queued since the last build; None when the list is damaged (a process
        killed mid-line), which makes the build render every stored page."""
        if not self._unbuilt_path.exists():
            return []
        kinds = {"suite": ExpectationSuiteIdentifier, "result": ValidationResultIdentifier}
        try:
            entries = [json.loads(line) for line in self._unbuilt_path.read_text().splitlines()]
            queued = [kinds[kind].from_tuple(tuple(key)) for kind, key in entries]
        except (ValueError, KeyError, TypeError):
            return None
        return list(dict.fromkeys(queued))


@cache
def _open_data_docs(directory: Path) -> DataDocs:
    return DataDocs(directory)
