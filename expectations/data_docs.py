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

SITE_NAME = "ketreg"
SITE_DIRECTORY = "data_docs"  # under the GX directory
LOCK_FILE = ".lock"
# The index lists the newest results only. GX reads every result it lists to draw the
# index, so a full list would make each build slower with every run (~0.6 s at 1,000
# results, ~10 results a run). Older results keep their pages; ops.gx_results (the
# data-quality page) keeps the whole history.
INDEX_RESULTS = 1000


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
        self.workspace = GxWorkspace(context, store_lock=self.exclusive)
        # Pages to render at the next build: rendering every stored result again each run
        # would cost about 0.1 s per result, minutes after a year of nightly runs.
        self._unbuilt: list[ExpectationSuiteIdentifier | ValidationResultIdentifier] = []

    @classmethod
    def open(cls, directory: Path | str) -> DataDocs:
        return _open_data_docs(Path(directory).resolve())

    @property
    def index_path(self) -> Path:
        return self.directory / SITE_DIRECTORY / "index.html"

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
        self._unbuilt += [result_id] + ([suite_id] if suite_id not in self._unbuilt else [])

    def build(self) -> Path:
        """Render the results stored since the last build, and the index of all results;
        returns the index.html. Call it once per run, after the last validation."""
        with self.exclusive():
            if self._unbuilt or not self.index_path.exists():
                # An empty list would make GX render every stored result again.
                self.workspace.context.build_data_docs(
                    site_names=[SITE_NAME], resource_identifiers=self._unbuilt or None
                )
                self._unbuilt.clear()
        return self.index_path


@cache
def _open_data_docs(directory: Path) -> DataDocs:
    return DataDocs(directory)
