"""A suite's expectations grouped by the frame that can judge them exactly, and cheaply.

Nearly every expectation of these suites is a column-map expectation without `mostly`:
it judges each row on its own, from the columns it names and those of its row
condition, and holds when it holds for every row. Whether it holds over a table is then
decided by the distinct combinations of those columns, and there are few of them: 9.6
million item rows carry a few hundred (instrument, item, value) triples. Expectations
reading the same columns form one group, judged on `select distinct <columns>`.

Some judge a value by one property of it alone: whether it is null, its type, its
length. One row for each distinct property is then enough, and an identifier column
(2 million distinct session ids at 100,000 patients) shrinks to a handful of rows.
A range (`expect_column_values_to_be_between`) on a numeric column holds when it holds
for the column's smallest and largest values: two rows. These few rows of every such
column are judged together, side by side in one frame: each GX validation costs ~5 ms
before its first expectation, and a suite has a dozen or more such columns.

The others get the frame their meaning needs: the table's header for its column set
(and column count), every row of the columns read for anything else (an aggregate, a
row count, a `mostly`). Uniqueness is counted in SQL instead (sql_uniqueness.py).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from enum import StrEnum

import great_expectations as gx
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)

from expectations.row_conditions import condition_columns

UNIQUENESS_TYPES = frozenset(
    {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
)
HEADER_TYPES = frozenset({
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
})
_MAP_EXPECTATIONS = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)

# The property of a value each of these judges it by, in DuckDB SQL over the column {c};
# {null} is whether the value is a null to pandas (a NaN is, in a float column).
# A VARCHAR column reaches pandas as str values, so null-ness also settles their type;
# length and byte length together settle the length Python counts.
_PROPERTY_SQL = {
    "expect_column_values_to_not_be_null": ("{null}",),
    "expect_column_values_to_be_null": ("{null}",),
    "expect_column_values_to_be_of_type": ("{null}",),
    "expect_column_values_to_be_in_type_list": ("{null}",),
    "expect_column_value_lengths_to_be_between": ("length({c})", "strlen({c})"),
}
# A regex of letters, digits, classes, groups, counts and anchors, without a backslash or a
# flag: DuckDB's RE2 and Python's re then match the same strings, but that Python's `$`
# also matches before a final newline. A string DuckDB finds matching is so found by GX
# too, and needs no row of its own; each one it finds not matching keeps its own row.
_PLAIN_REGEX = re.compile(r"[A-Za-z0-9_\-^$\[\](){}?:*+|,]*")
_INLINE_FLAG = re.compile(r"\(\?[^:]")
_REGEX_TYPE = "expect_column_values_to_match_regex"


class Frame(StrEnum):
    HEADER = "header"  # the table's columns, no row
    PROPERTIES = "properties"  # one row per distinct property of one column's values
    EXTREMES = "extremes"  # one column's smallest and largest value
    DISTINCT = "distinct"  # the distinct combinations of the columns read
    ROWS = "rows"  # every row, of the columns read


# The frames of a few rows a column, one column each, judged side by side.
FEW_ROWS = (Frame.PROPERTIES, Frame.EXTREMES)


def is_uniqueness(expectation: Expectation) -> bool:
    return expectation.expectation_type in UNIQUENESS_TYPES


@dataclass(frozen=True)
class ExpectationGroup:
    frame: Frame
    columns: tuple[str, ...]
    suite: gx.ExpectationSuite
    # PROPERTIES of one column: the SQL of each property, over the quoted column `{c}`.
    properties: tuple[str, ...] = ()
    # ... worked out on the column's distinct values rather than on every row: a regex
    # costs more per row than the hash of a distinct, and most columns repeat values.
    distinct_first: bool = False
    # Several columns: their one-column PROPERTIES and EXTREMES groups, judged side by
    # side (a column's rows for both are real values of it, so they stack).
    parts: tuple[ExpectationGroup, ...] = ()


def columns_named(kwargs: dict) -> list[str]:
    """The columns an expectation's own arguments name, in their order."""
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_list" in kwargs:
        return list(kwargs["column_list"])
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return []


def columns_read(expectation: Expectation) -> tuple[str, ...]:
    kwargs = expectation.configuration.kwargs
    names = set(columns_named(kwargs))
    if kwargs.get("row_condition"):
        names |= condition_columns(kwargs["row_condition"])
    return tuple(sorted(names))


def frame_for(expectation: Expectation) -> Frame:
    if expectation.expectation_type in HEADER_TYPES:
        return Frame.HEADER
    kwargs = expectation.configuration.kwargs
    if kwargs.get("mostly", 1) != 1 or not isinstance(expectation, _MAP_EXPECTATIONS):
        return Frame.ROWS
    if kwargs.get("row_condition"):
        return Frame.DISTINCT
    if _property_sql(expectation):
        return Frame.PROPERTIES
    if expectation.expectation_type == "expect_column_values_to_be_between":
        return Frame.EXTREMES
    return Frame.DISTINCT


def _property_sql(expectation: Expectation) -> tuple[str, ...]:
    """The SQL of the properties that settle this expectation's verdict on a text value."""
    if expectation.expectation_type in _PROPERTY_SQL:
        return _PROPERTY_SQL[expectation.expectation_type]
    regex = expectation.configuration.kwargs.get("regex")
    if expectation.expectation_type == _REGEX_TYPE \
            and _PLAIN_REGEX.fullmatch(regex) and not _INLINE_FLAG.search(regex):
        literal = regex.replace("'", "''").replace("{", "{{").replace("}", "}}")
        return (f"case when regexp_matches({{c}}, '{literal}') then null else {{c}} end",)
    return ()


def group_by_columns(suite: gx.ExpectationSuite) -> list[ExpectationGroup]:
    """The suite's expectations but uniqueness, one group per frame and columns read.

    GX lets an expectation belong to one suite only: an expectation already given an id
    by a suite is copied (copies are slow, and a suite built from code has none).
    """
    groups: dict[tuple[Frame, tuple[str, ...]], list[Expectation]] = {}
    for expectation in suite.expectations:
        if is_uniqueness(expectation):
            continue
        frame = frame_for(expectation)
        columns = () if frame is Frame.HEADER else columns_read(expectation)
        groups.setdefault((frame, columns), []).append(
            copy.copy(expectation) if expectation.id else expectation)
    built = [
        ExpectationGroup(
            frame, columns,
            gx.ExpectationSuite(name=f"{suite.name}[{frame}:{','.join(columns)}]",
                                expectations=expectations),
            properties=_properties(expectations) if frame is Frame.PROPERTIES else (),
            distinct_first=frame is Frame.PROPERTIES and any(
                e.expectation_type == _REGEX_TYPE for e in expectations),
        )
        for (frame, columns), expectations in groups.items()
    ]
    parts = tuple(group for group in built if group.frame in FEW_ROWS)
    if len(parts) < 2:
        return built
    side_by_side = ExpectationGroup(
        Frame.PROPERTIES, tuple(dict.fromkeys(part.columns[0] for part in parts)),
        gx.ExpectationSuite(name=f"{suite.name}[side by side]",
                            expectations=[e for part in parts for e in part.suite.expectations]),
        parts=parts,
    )
    return [group for group in built if group.frame not in FEW_ROWS] + [side_by_side]


def _properties(expectations: list[Expectation]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(sql for e in expectations for sql in _property_sql(e)))
