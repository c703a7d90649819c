"""GX results remembered by what they judged, so that a frame judged before is not judged again.

A GX validation is a function of the expectations, the frame and the code that judges it.
The frames runner.py gives GX are mostly the distinct values of a few columns (the routes,
the instruments, the (instrument, score) pairs), and from one day's run to the next most
are what they were: at 100,000 patients about two thirds of a run's validations, ~0.8 s
of GX's time, at 500 patients nine in ten. A validation that passed is kept here under a
digest of all it depends on, and the same frame with the same expectations later gets
that result back (~1 ms) instead of GX's judgement (~5-90 ms).

The digest covers:
- the expectations, as the suite defines them (types, arguments, row conditions, meta);
- the result format asked for (counts or verdicts only);
- the frame: its columns, their dtypes and its rows. The rows are taken as a multiset
  (sorted 64-bit row hashes): no expectation of these suites depends on their order
  (ORDERED_TYPES would, and keep it), and runner.py's `select distinct` gives no order;
- the code: the versions of GX, pandas and numpy, and the source of this package
  (its custom expectations).

A frame judged for verdicts only, by expectations that each judge a row on its own
(runner.py's frames of few rows: distinct values, properties, extremes), is known by its
rows one by one instead: every row of a passing frame passes, so a later frame whose rows
all passed before passes too, and such a result, verdicts without counts, reads the same
whatever rows gave it. A day's batch then passes on the (instrument, item, value) triples
earlier days showed, in whatever mix. The rows kept for one such key are capped at
ROWS_KEPT; past it they start again from the frame at hand.

Only passing results are kept, and redacted as the data docs keep them (redaction.py: no
value of a row, counts kept): a failure is judged again every time, and runner.py then
judges it on the rows. One file per result under the GX directory's verdicts/ folder,
written whole and renamed into place, so that concurrent runs never read half of one;
a file that cannot be read is judged again and rewritten. A file not used for
KEPT_DAYS days is deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from functools import cache
from importlib import metadata
from pathlib import Path

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResultSchema,
)
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from marshmallow import ValidationError

from expectations.redaction import redact_suite_result

# The result format of a frame judged for its verdicts alone (gx_workspace.py).
VERDICTS_ONLY = {"result_format": "BOOLEAN_ONLY"}

# Expectations whose verdict depends on the order of the rows: their frames are hashed
# in order.
ORDERED_TYPES = frozenset({
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_decreasing",
})
KEPT_DAYS = 30
ROWS_KEPT = 50_000
_MAP_EXPECTATIONS = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
_DISTRIBUTIONS = ("great_expectations", "pandas", "numpy")
_SCHEMA = ExpectationSuiteValidationResultSchema()


class Verdicts:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pruned = False

    def get(self, suite: gx.ExpectationSuite, frame: pd.DataFrame, result_format: dict,
            ) -> ExpectationSuiteValidationResult | None:
        """The passing result kept for `suite` on `frame`, or None."""
        key, rows = self._key(suite, frame, result_format)
        if rows is not None:
            known = _read_rows(self._path(key, ".rows.npy"))
            if known is None or not np.isin(rows, known).all():
                return None
            _touch(self._path(key, ".rows.npy"))
        path = self._path(key, ".json")
        try:
            result = _SCHEMA.loads(path.read_text())
        except (OSError, ValueError, ValidationError):  # none yet, or damaged: judged again
            return None
        _touch(path)
        return result

    def put(self, suite: gx.ExpectationSuite, frame: pd.DataFrame, result_format: dict,
            result: ExpectationSuiteValidationResult) -> None:
        """Keep `result`, if it passed, as what `suite` gives on `frame`."""
        if not result.success:
            return
        self._prune_once()
        key, rows = self._key(suite, frame, result_format)
        if rows is not None:
            known = _read_rows(self._path(key, ".rows.npy"))
            if known is not None and len(known) + len(rows) <= ROWS_KEPT:
                rows = np.union1d(known, rows)
            _write(self._path(key, ".rows.npy"), lambda handle: np.save(handle, rows))
        kept = _SCHEMA.loads(json.dumps(result.to_json_dict()))  # a copy: the caller's is theirs
        redact_suite_result(kept)
        text = json.dumps(kept.to_json_dict())
        _write(self._path(key, ".json"), lambda handle: handle.write(text.encode()))

    def _key(self, suite: gx.ExpectationSuite, frame: pd.DataFrame, result_format: dict,
             ) -> tuple[str, np.ndarray | None]:
        """The digest of everything a validation of `frame` against `suite` depends on, and,
        when the frame is known by its rows one by one, those rows' hashes (unique, sorted)
        apart from it."""
        ordered = any(e.expectation_type in ORDERED_TYPES for e in suite.expectations)
        by_row = not ordered and result_format == VERDICTS_ONLY and all(
            isinstance(e, _MAP_EXPECTATIONS) and e.configuration.kwargs.get("mostly", 1) == 1
            for e in suite.expectations)
        digest = hashlib.sha256()
        digest.update(json.dumps({
            "code": code_fingerprint(),
            "expectations": [
                {k: v for k, v in e.configuration.to_json_dict().items() if k != "id"}
                for e in suite.expectations
            ],
            "meta": suite.meta,
            "result_format": result_format,
            "columns": [[str(name), str(dtype)] for name, dtype in frame.dtypes.items()],
            "rows": None if by_row else len(frame),
            "ordered": ordered,
        }, sort_keys=True, default=str).encode())
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        if by_row:
            return digest.hexdigest(), np.unique(rows)
        digest.update((rows if ordered else np.sort(rows)).tobytes())
        return digest.hexdigest(), None

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / f"{key}{suffix}"

    def _prune_once(self) -> None:
        """Delete what no run has used for KEPT_DAYS days (once per process)."""
        if self._pruned:
            return
        self._pruned = True
        oldest = time.time() - KEPT_DAYS * 86400
        for path in self.directory.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                if path.stat().st_mtime < oldest:
                    path.unlink()


def _read_rows(path: Path) -> np.ndarray | None:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError):  # none yet, or damaged
        return None


def _write(path: Path, write) -> None:
    """Write a file whole under a temporary name, then rename it into place."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp",
                                     delete=False) as handle:
        write(handle)
    os.replace(handle.name, path)


def _touch(path: Path) -> None:
    """In use: kept from pruning."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)


@cache
def code_fingerprint() -> str:
    """The versions of the libraries that judge, and the source of this package."""
    digest = hashlib.sha256()
    for distribution in _DISTRIBUTIONS:
        digest.update(f"{distribution}=={metadata.version(distribution)}\n".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
