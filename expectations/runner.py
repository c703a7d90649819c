"""What the Dagster code calls: validate a frame or a DuckDB table against a named suite.

    docs = DataDocs.open(settings.home / "gx")              # once per process
    result = validate_frame("sessions", accepted, context=docs, run_name=run_id)
    result = validate_table(con, "marts.course_outcomes", "marts.course_outcomes",
                            context=docs)
    index_html = docs.build()

Without `context` the result is returned but not kept for the data docs.
"""

from __future__ import annotations

import re

import duckdb
import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult

from expectations.data_docs import DataDocs
from expectations.gx_workspace import GxWorkspace, in_memory_workspace
from expectations.redaction import redact_suite_result
from expectations.registry import SUITE_BUILDERS, build_suite
from expectations.result import SuiteResult, suite_result_from_gx, suite_statistics
from expectations.row_conditions import quote_identifier
from expectations.sql_uniqueness import check_uniqueness_in_sql
from expectations.value_groups import ExpectationGroup, Frame, is_uniqueness

__all__ = [
    "SUITE_BUILDERS",
    "DataDocs",
    "SuiteResult",
    "build_suite",
    "validate_frame",
    "validate_table",
]

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


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_name: str,
    context: DataDocs | None = None,
    *,
    run_name: str | None = None,
) -> SuiteResult:
    """Validate a table of any size as one result, reading through `con` itself (so a
    table or view of the caller's open transaction, or a temp one, is seen).

    Uniqueness is counted by DuckDB over the whole table; every other expectation is judged
    by GX on the frame value_groups.py gives it, for most the distinct values (or distinct
    properties: null-ness, length) of the columns it reads: the same verdict as every row
    at a fraction of the cost. An expectation that fails there is judged again on the
    rows themselves, so that its counts are of rows; one that passes there keeps its
    verdict alone (GX's counts would be of that frame's few rows).
    """
    if not _TABLE_NAME.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    table_sql = ".".join(quote_identifier(part) for part in table.split("."))
    workspace = _workspace(context)
    types = {row[0]: row[1] for row in con.execute(f"describe {table_sql}").fetchall()}
    # fetchall, not fetchone: DuckDB 2.0 refuses new work while a result is unfinished.
    [(rows,)] = con.execute(f"select count(*) from {table_sql}").fetchall()
    results = [
        check_uniqueness_in_sql(con, table_sql, expectation)
        for expectation in workspace.suite(suite_name).expectations
        if is_uniqueness(expectation)
    ]
    gx_meta: dict = {}
    for group in workspace.groups(suite_name):
        judged, gx_meta = _judge(con, workspace, group, types, table_sql, table)
        results += judged
    passed = sum(1 for r in results if r.success)
    result = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite_name,
        statistics=suite_statistics(len(results), passed),
        meta=gx_meta | {"table": table, "rows": rows},
    )
    return _finish(suite_name, result, context, batch_name=table, run_name=run_name)


def _judge(
    con: duckdb.DuckDBPyConnection,
    workspace: GxWorkspace,
    group: ExpectationGroup,
    types: dict[str, str],
    table_sql: str,
    table: str,
) -> tuple[list, dict]:
    """A group's expectation results and GX's meta. A group that fails on fewer rows than
    the table's is judged again on its rows, so that its counts are of rows."""
    if group.parts:
        if all(part.columns[0] in types for part in group.parts):
            judged = _judge_side_by_side(con, workspace, group, types, table_sql, table)
            if judged is not None:
                return judged
        # A column missing, or a value failing: each column on its own, for its own counts.
        results, meta = [], {}
        for part in group.parts:
            part_results, meta = _judge(con, workspace, part, types, table_sql, table)
            results += part_results
        return results, meta
    # A column the table lacks is left out of the frame, so that its expectations fail on
    # it by name (and the column-set expectation says which) rather than the query.
    columns = ", ".join(quote_identifier(c) for c in group.columns if c in types)
    rows_sql = f"select {columns or '1 as _row'} from {table_sql}"
    frame_sql = {
        Frame.HEADER: f"select * from {table_sql} limit 0",
        Frame.ROWS: rows_sql,
    }.get(group.frame) or (_few_rows(group, columns, types, table_sql) if columns else rows_sql)
    # A frame of few rows gives verdicts only: counts of its rows would mean nothing.
    few_rows = group.frame not in (Frame.HEADER, Frame.ROWS)
    judged = workspace.validate(group.suite, con.sql(frame_sql).df(), asset_name=table,
                                counts=not few_rows)
    if not judged.success and few_rows:
        judged = workspace.validate(group.suite, con.sql(rows_sql).df(), asset_name=table)
    return judged.results, judged.meta


# Which part of a side-by-side group a row of a column's stacked frame came from.
_PART = "_ketreg_part_"


def _judge_side_by_side(
    con: duckdb.DuckDBPyConnection,
    workspace: GxWorkspace,
    group: ExpectationGroup,
    types: dict[str, str],
    table_sql: str,
    table: str,
) -> tuple[list, dict] | None:
    """The results of a group's parts judged side by side in one validation, and GX's meta;
    None when that validation fails. A part whose rows and expectations an earlier run
    judged passing is read back instead (verdicts.py): each part is kept on its own,
    since some change every day (a batch's load ids) while most do not."""
    # Each column's rows are real values of it: its parts' rows stack, each tagged with
    # its part, so that every part's rows have the type the stacked column has.
    stacked: dict[str, list[str]] = {}
    for index, part in enumerate(group.parts):
        column = quote_identifier(part.columns[0])
        stacked.setdefault(part.columns[0], []).append(
            f"(select *, {index} as {_PART} from ({_few_rows(part, column, types, table_sql)}))")
    frames = {column: con.sql(" union all ".join(sqls)).df() for column, sqls in stacked.items()}
    part_frames = [_rows_of_parts(frames[part.columns[0]], {index})
                   for index, part in enumerate(group.parts)]
    kept = [workspace.kept(part.suite, frame, counts=False)
            for part, frame in zip(group.parts, part_frames, strict=True)]
    results = [r for result in kept if result is not None for r in result.results]
    meta = next((result.meta for result in kept if result is not None), {})
    unjudged = [index for index, result in enumerate(kept) if result is None]
    if not unjudged:
        return results, meta
    parts = [group.parts[index] for index in unjudged]
    suite = group.suite if len(parts) == len(group.parts) else gx.ExpectationSuite(
        name=group.suite.name, expectations=[e for part in parts for e in part.suite.expectations])
    frame = _side_by_side([_rows_of_parts(frames[column], set(unjudged))
                           for column in dict.fromkeys(part.columns[0] for part in parts)])
    judged = workspace.validate(suite, frame, asset_name=table, counts=False, remember=False)
    if not judged.success:
        return None
    for index, share in zip(unjudged, _shares(judged, parts), strict=True):
        workspace.keep(group.parts[index].suite, part_frames[index], share, counts=False)
    return results + judged.results, judged.meta


def _rows_of_parts(frame: pd.DataFrame, parts: set[int]) -> pd.DataFrame:
    return frame[frame[_PART].isin(parts)].drop(columns=_PART).reset_index(drop=True)


def _shares(judged: ExpectationSuiteValidationResult,
            parts: list[ExpectationGroup]) -> list[ExpectationSuiteValidationResult]:
    """A passing side-by-side result split into one result per part. A part is one column's
    PROPERTIES or EXTREMES, whose expectation types differ: the column and the type say
    whose an expectation is."""
    owner = {(part.columns[0], e.expectation_type): index
             for index, part in enumerate(parts) for e in part.suite.expectations}
    shares: list[list] = [[] for _ in parts]
    for result in judged.results:
        config = result.expectation_config
        shares[owner[(config.kwargs["column"], config.type)]].append(result)
    return [
        ExpectationSuiteValidationResult(
            success=True, results=share, suite_name=part.suite.name,
            statistics=suite_statistics(len(share), len(share)), meta=judged.meta,
        )
        for part, share in zip(parts, shares, strict=True)
    ]


def _few_rows(group: ExpectationGroup, columns: str, types: dict[str, str],
              table_sql: str) -> str:
    """The SQL of the rows that settle a DISTINCT, PROPERTIES or EXTREMES group, over
    `columns`, those of its columns the table has (quoted)."""
    if group.frame is Frame.PROPERTIES:
        return _one_row_per_property(group, columns, types[group.columns[0]], table_sql)
    if group.frame is Frame.EXTREMES:
        extremes = _smallest_and_largest(columns, types[group.columns[0]], table_sql)
        if extremes:
            return extremes
    return f"select distinct {columns} from {table_sql}"


_FLOATS = ("FLOAT", "DOUBLE")
# Types whose order DuckDB and pandas agree on. NaN, which pandas reads as a null that a
# range ignores, DuckDB orders above every number: it is left out of the largest.
_ORDERED_NUMBERS = re.compile(
    r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DECIMAL\(\d+,\d+\)|FLOAT|DOUBLE)$")


def _smallest_and_largest(column: str, column_type: str, table_sql: str) -> str:
    if not _ORDERED_NUMBERS.match(column_type):
        return ""
    where = f"where not isnan({column})" if column_type in _FLOATS else ""
    # No row when there is no value to range over (an empty batch, a column of nulls):
    # min and max would be two nulls, which no row of an empty table holds.
    return (f"select unnest([min({column}), max({column})]) as {column} "
            f"from {table_sql} {where} having count({column}) > 0")


def _side_by_side(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of different columns as one, each repeated to the length of the longest:
    a repeated row changes no verdict of an expectation judging each row on its own.
    (Frames of one table are all empty or none is.)"""
    longest = max(len(frame) for frame in frames)
    return pd.concat(
        [frame.iloc[np.arange(longest) % len(frame)].reset_index(drop=True) if len(frame)
         else frame for frame in frames],
        axis=1,
    )


def _one_row_per_property(group: ExpectationGroup, column: str, column_type: str,
                          table_sql: str) -> str:
    # pandas reads NaN as a null; DuckDB does not.
    null = f"({column} is null or isnan({column}))" if column_type in _FLOATS \
        else f"{column} is null"
    keys = ", ".join(sql.format(c=column, null=null) for sql in group.properties)
    source = f"(select distinct {column} from {table_sql})" if group.distinct_first \
        else table_sql
    # The smallest value of each property, not any one: the same rows every run, so that
    # a frame judged before is known again (verdicts.py).
    return f"select min({column}) as {column} from {source} group by {keys}"


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
