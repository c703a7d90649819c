"""Small builders the suite modules share: column types, not-null lists, suite assembly."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation


class ColumnType(Enum):
    """The kinds of column DuckDB hands to pandas 3 through `.df()`.

    Each maps to every dtype name that kind can arrive as: DuckDB gives `int32` for an INTEGER
    column without nulls and `Int32` with nulls, `datetime64[us]` for both DATE and TIMESTAMP,
    and `object` for a VARCHAR column that is empty or all null.
    """

    TEXT = ()  # checked with expect_column_values_to_be_of_type, see expect_type
    INTEGER = ("int8", "int16", "int32", "int64", "Int8Dtype", "Int16Dtype", "Int32Dtype",
               "Int64Dtype")  # fmt: skip
    FLOAT = ("float32", "float64", "Float32Dtype", "Float64Dtype")
    TIMESTAMP = ("datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]")
    BOOLEAN = ("bool", "BooleanDtype")


def expect_type(column: str, kind: ColumnType) -> Expectation:
    if kind is ColumnType.TEXT:
        # pandas 3's default string dtype (StringDtype with NaN as missing) matches no name
        # in expect_column_values_to_be_in_type_list, which compares whole dtypes; "of type
        # str" compares the scalar type, so it accepts both string dtypes and checks an
        # all-null object column value by value.
        return gxe.ExpectColumnValuesToBeOfType(column=column, type_="str")
    return gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=list(kind.value))


def expect_types(columns: dict[str, ColumnType]) -> list[Expectation]:
    return [expect_type(column, kind) for column, kind in columns.items()]


def expect_not_null(columns: Iterable[str]) -> list[Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def expect_exact_columns(columns: Iterable[str]) -> Expectation:
    return gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True)


def assemble_suite(name: str, expectations: Iterable[Expectation]) -> gx.ExpectationSuite:
    wanted = list(expectations)
    # Built through the constructor because add_expectation needs an active GX context; the
    # constructor logs and drops an invalid expectation, so the count is checked after.
    suite = gx.ExpectationSuite(name=name, expectations=wanted)
    if len(suite.expectations) != len(wanted):
        raise ValueError(f"suite {name!r}: GX rejected some expectations, see its log")
    distinct = {json.dumps(e.configuration.to_json_dict(), sort_keys=True) for e in wanted}
    if len(distinct) != len(wanted):
        raise ValueError(f"suite {name!r} holds the same expectation twice")
    return suite
