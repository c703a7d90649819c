"""What the Dagster code calls: validate a frame or a DuckDB table against a named suite.

    docs = DataDocs.open(settings.home / "gx")              # once per process
    result = validate_frame("sessions", accepted, context=docs, run_name=run_id)
    result = validate_table_in_chunks(con, "marts.course_outcomes",
                                      "marts.course_outcomes", context=docs)
    index_html = docs.build()

Without `context` the result is returned but not kept for the data docs.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult

from expectations.chunk_results import merge_chunk_results
from expectations.data_docs import DataDocs
from expectations.gx_workspace import GxWorkspace, in_memory_workspace
from expectations.redaction import redact_suite_result
from expectations.registry import SUITE_BUILDERS, build_suite
from expectations.result import SuiteResult, suite_result_from_gx
from expectations.row_conditions import quote_identifier
from expectations.sql_uniqueness import check_uniqueness_in_sql, is_uniqueness

__all__ = [
    "SUITE_BUILDERS",
    "DataDocs",
    "SuiteResult",
    "build_suite",
    "validate_frame",
    "validate_table_in_chunks",
]

DUCKDB_VECTOR_ROWS = 2048  # fetch_df_chunk counts in DuckDB vectors of this many rows
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


def validate_frame(
    suite_name: str,
    df: pd.DataFrame,
    context: DataDocs | None = None,
    *,
    run_name: str | None = None,
) -> SuiteResult:
    """Validate a whole frame in one GX batch (a file's accepted rows, a small mart)."""
    workspace = _workspace(context)
    result = workspace.validate(workspace.suite(suite_name), df, asset_name=suite_name)
    return _finish(suite_name, result, context, batch_name=suite_name, run_name=run_name)


def validate_table_in_chunks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_name: str,
    chunk_rows: int = 500_000,
    context: DataDocs | None = None,
    *,
    run_name: str | None = None,
) -> SuiteResult:
    """Validate a table too large for one pandas frame, `chunk_rows` at a time (rounded to
    DuckDB's 2,048-row vectors), as one result. Reads through `con` itself, so a table
    written in the caller's open transaction, or a temp table, is seen."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    table_sql = ".".join(quote_identifier(part) for part in table.split("."))
    workspace = _workspace(context)
    # A key repeated in two chunks would pass a per-chunk GX check, so uniqueness is counted
    # by DuckDB over the whole table. It runs first: the chunk stream below keeps the
    # connection busy until it is drained.
    whole_table = [
        check_uniqueness_in_sql(con, table_sql, expectation)
        for expectation in workspace.suite(suite_name).expectations
        if is_uniqueness(expectation)
    ]
    chunk_suite = workspace.chunk_suite(suite_name)
    vectors = max(1, round(chunk_rows / DUCKDB_VECTOR_ROWS))
    con.execute(f"select * from {table_sql}")
    chunks, rows = [], 0
    while True:
        frame = con.fetch_df_chunk(vectors)
        if chunks and frame.empty:
            break
        # The first chunk is validated even when empty, so an empty table still has its
        # columns and types checked.
        chunks.append(workspace.validate(chunk_suite, frame, asset_name=table))
        rows += len(frame)
        if frame.empty:
            break
    result = merge_chunk_results(
        suite_name, chunks, whole_table, meta={"table": table, "chunks": len(chunks), "rows": rows}
    )
    return _finish(suite_name, result, context, batch_name=table, run_name=run_name)


def _workspace(context: DataDocs | None) -> GxWorkspace:
    return context.workspace if context is not None else in_memory_workspace()


def _finish(
    suite_name: str,
    result: ExpectationSuiteValidationResult,
    context: DataDocs | None,
    batch_name: str,
    run_name: str | None,
) -> SuiteResult:
    redact_suite_result(result)  # before it is stored: the data docs must not show values
    if context is not None:
        context.store(result, batch_name=batch_name, run_name=run_name)
    return suite_result_from_gx(suite_name, result)
