"""One GX context set up to validate pandas frames: a data source, one asset per suite or
table, and the suites built from code. Setting these up costs more than a small validation,
so a workspace is made once per process and reused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.exceptions import DataContextError

from expectations.registry import build_suite
from expectations.value_groups import ExpectationGroup, group_by_columns
from expectations.verdicts import VERDICTS_ONLY, Verdicts

DATASOURCE_NAME = "ketreg_frames"
# Counts without samples of the offending values: cheaper, and nothing to leak. Redaction
# still runs after, because some expectations report values in other fields.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


class GxWorkspace:
    def __init__(
        self,
        context: AbstractDataContext,
        store_lock: Callable[[], AbstractContextManager] = nullcontext,
        on_suite_written: Callable[[str], None] = lambda name: None,
        verdicts: Verdicts | None = None,
    ):
        """`store_lock`: held while the context's stores are written (see data_docs).
        `on_suite_written(name)`: called, holding that lock, when a suite is (re)written.
        `verdicts`: where passing results are kept and looked up (verdicts.py)."""
        self.context = context
        self._store_lock = store_lock
        self._on_suite_written = on_suite_written
        self._verdicts = verdicts
        # tqdm bars per metric would flood the Dagster logs.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._source = context.data_sources.add_or_update_pandas(DATASOURCE_NAME)
        self._lock = threading.RLock()
        self._suites: dict[str, gx.ExpectationSuite] = {}
        self._groups: dict[str, list[ExpectationGroup]] = {}
        self._batch_definitions: dict = {}

    def suite(self, name: str) -> gx.ExpectationSuite:
        with self._lock:
            if name not in self._suites:
                # Kept in the context so the data docs can show what each suite checks.
                with self._store_lock():
                    self._suites[name] = self._stored(build_suite(name))
            return self._suites[name]

    def _stored(self, built: gx.ExpectationSuite) -> gx.ExpectationSuite:
        """The context's copy of `built`, rewritten only when the code changed it: GX's
        add_or_update compares every expectation with every stored one (~0.4 s a suite,
        every run)."""
        try:
            stored = self.context.suites.get(built.name)
        except DataContextError:
            stored = self.context.suites.add(built)
        else:
            if _definition(stored) == _definition(built):
                return stored
            stored = self.context.suites.add_or_update(built)
        self._on_suite_written(built.name)
        return stored

    def groups(self, name: str) -> list[ExpectationGroup]:
        """The suite but uniqueness, grouped by the columns each expectation reads."""
        with self._lock:
            if name not in self._groups:
                self._groups[name] = group_by_columns(build_suite(name))
            return self._groups[name]

    def validate(
        self, suite: gx.ExpectationSuite, frame: pd.DataFrame, asset_name: str,
        *, counts: bool = True, remember: bool = True,
    ) -> ExpectationSuiteValidationResult:
        """`counts=False`: verdicts without GX's counts (VERDICTS_ONLY). A passing result is
        kept, and one kept is read back rather than judged again (verdicts.py), unless
        `remember=False`: the caller keeps it in its own shares (runner.py, side by side)."""
        verdicts = self._verdicts if remember else None
        if verdicts and (kept := verdicts.get(suite, frame, _result_format(counts))):
            return kept
        with self._lock:
            batch = self._batch_definition(asset_name).get_batch(
                batch_parameters={"dataframe": frame}
            )
            result = batch.validate(suite, result_format=_result_format(counts))
        if verdicts:
            verdicts.put(suite, frame, _result_format(counts), result)
        return result

    def kept(self, suite: gx.ExpectationSuite, frame: pd.DataFrame, *, counts: bool = True,
             ) -> ExpectationSuiteValidationResult | None:
        """The passing result an earlier validation of `suite` on `frame` kept, or None."""
        if self._verdicts is None:
            return None
        return self._verdicts.get(suite, frame, _result_format(counts))

    def keep(self, suite: gx.ExpectationSuite, frame: pd.DataFrame,
             result: ExpectationSuiteValidationResult, *, counts: bool = True) -> None:
        """Keep `result`, if it passed, as what `suite` gives on `frame`."""
        if self._verdicts is not None:
            self._verdicts.put(suite, frame, _result_format(counts), result)

    def _batch_definition(self, asset_name: str):
        if asset_name not in self._batch_definitions:
            asset = self._source.add_dataframe_asset(name=asset_name)
            self._batch_definitions[asset_name] = asset.add_batch_definition_whole_dataframe(
                name="whole_frame"
            )
        return self._batch_definitions[asset_name]


def _result_format(counts: bool) -> dict:
    # Without counts, each expectation's verdict alone: about a third less of GX's time,
    # for a frame whose counts would be of its few rows (runner.py), never of the table's.
    return RESULT_FORMAT if counts else VERDICTS_ONLY


def _definition(suite: gx.ExpectationSuite) -> tuple[dict, list[dict]]:
    """What a suite checks, without the ids a store gives its expectations."""
    expectations = [
        {k: v for k, v in e.configuration.to_json_dict().items() if k != "id"}
        for e in suite.expectations
    ]
    return suite.meta, expectations


@cache
def in_memory_workspace() -> GxWorkspace:
    """For validations whose results need not be kept for the data docs."""
    return GxWorkspace(gx.get_context(mode="ephemeral"))
