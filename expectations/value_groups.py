"""A suite's expectations grouped by the columns they read, to be judged on distinct values.

Every expectation of these suites but uniqueness (counted in SQL, sql_uniqueness.py) and
the table's column set is a column-map expectation: it judges each row on its own, from the
columns it names and those of its row condition, and none uses `mostly`. Whether it holds
over a table is therefore decided by the distinct combinations of those columns, and there
are few of them: 9.6 million item rows carry a few hundred (instrument, item, value)
triples. Expectations reading the same columns form one group, validated on one frame of
`select distinct <columns>`.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
from great_expectations.expectations.expectation import Expectation

from expectations.row_conditions import condition_columns

UNIQUENESS_TYPES = frozenset(
    {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
)


def is_uniqueness(expectation: Expectation) -> bool:
    return expectation.expectation_type in UNIQUENESS_TYPES


@dataclass(frozen=True)
class ExpectationGroup:
    # Empty for table-level expectations (the column set), judged on the table's header.
    columns: tuple[str, ...]
    suite: gx.ExpectationSuite


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


def group_by_columns(suite: gx.ExpectationSuite) -> list[ExpectationGroup]:
    """The suite's expectations but uniqueness, one group per set of columns read.

    The groups take the expectations over (GX lets an expectation belong to one suite only):
    pass a suite built for the purpose, not one kept in a data context.
    """
    by_columns: dict[tuple[str, ...], list[Expectation]] = {}
    for expectation in suite.expectations:
        if not is_uniqueness(expectation):
            by_columns.setdefault(columns_read(expectation), []).append(expectation)
    return [
        ExpectationGroup(
            columns,
            gx.ExpectationSuite(name=f"{suite.name}[{','.join(columns)}]",
                                expectations=expectations),
        )
        for columns, expectations in by_columns.items()
    ]
