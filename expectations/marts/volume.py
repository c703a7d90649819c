"""Volume against the previous run: a table that shrinks sharply, or empties, means a broken
model or load, since the registry only ever accumulates (withdrawals remove few rows).

Counts are kept in a small JSON file between runs. Save them only after a run that published,
so that a failed run never becomes the baseline the next one is compared with.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from expectations.result import PlainCheck, SuiteResult, suite_result_from_plain_checks
from expectations.row_conditions import quote_identifier

SUITE_NAME = "marts.volume"
DEFAULT_MAX_SHRINK = 0.5


def count_rows(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> dict[str, int]:
    return {
        table: con.execute(
            "select count(*) from " + ".".join(quote_identifier(p) for p in table.split("."))
        ).fetchone()[0]
        for table in tables
    }


def check_volume(
    current: Mapping[str, int],
    previous: Mapping[str, int] | None,
    *,
    max_shrink: float = DEFAULT_MAX_SHRINK,
) -> SuiteResult:
    """One check per table in `current`. Fails when a table has lost more than `max_shrink`
    (a fraction) of its previous rows, or has none left after having some, whatever
    `max_shrink` says. A table with no previous count (first run, new table) passes."""
    previous = previous or {}
    checks = []
    for table, rows in current.items():
        before = previous.get(table)
        kwargs = {"table": table, "max_shrink": max_shrink}
        observed = {"observed_value": rows, "previous_value": before}
        if before is None:
            success, message = True, f"{table}: {rows} rows, no previous count"
        elif rows == 0 and before > 0:
            success, message = False, f"{table}: 0 rows, previous run had {before}"
        else:
            shrink = (before - rows) / before if before else 0.0
            success = shrink <= max_shrink
            message = (
                f"{table}: {rows} rows, previous run had {before} "
                f"({shrink:.0%} fewer, at most {max_shrink:.0%} allowed)"
                if shrink > 0
                else f"{table}: {rows} rows, previous run had {before}"
            )
        checks.append(PlainCheck("expect_table_not_to_shrink", kwargs, success, message, observed))
    return suite_result_from_plain_checks(SUITE_NAME, checks)


def load_row_counts(path: Path) -> dict[str, int] | None:
    """The counts saved by the last published run, or None before the first one."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def save_row_counts(path: Path, counts: Mapping[str, int]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(dict(counts), indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)  # a crash mid-write leaves the previous counts whole
