"""Which columns each expectation reads decides the distinct values it is judged on."""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.registry import build_suite
from expectations.value_groups import (
    Frame,
    columns_read,
    frame_for,
    group_by_columns,
    is_uniqueness,
)


def test_a_conditional_expectation_reads_its_column_and_those_of_its_condition():
    expectation = gxe.ExpectColumnValuesToBeBetween(
        column="value", min_value=0, max_value=1,
        row_condition=(Column("instrument") == "CSSRS_SCREEN") & (Column("item") != "total"),
    )
    assert columns_read(expectation) == ("instrument", "item", "value")


def test_a_column_pair_reads_both_columns():
    expectation = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="ci_high", column_B="ci_low", or_equal=True)
    assert columns_read(expectation) == ("ci_high", "ci_low")


def test_every_expectation_but_uniqueness_lands_in_exactly_one_group():
    for name in ("assessments", "sessions", "marts.course_outcomes", "marts.outcome_rates"):
        suite = build_suite(name)
        groups = group_by_columns(suite)
        grouped = [e.expectation_type for g in groups for e in g.suite.expectations]
        assert sorted(grouped) == sorted(
            e.expectation_type for e in suite.expectations if not is_uniqueness(e))
        judged_alone = [part for g in groups for part in (g.parts or (g,))]
        for group in judged_alone:
            assert all(columns_read(e) == group.columns for e in group.suite.expectations)
        assert len({(g.frame, g.columns) for g in judged_alone}) == len(judged_alone)


def test_the_few_rows_of_every_column_are_judged_together_one_column_each():
    groups = group_by_columns(build_suite("sessions"))
    [together] = [g for g in groups if g.parts]
    assert len(together.parts) > 10
    assert {part.frame for part in together.parts} == {Frame.PROPERTIES, Frame.EXTREMES}
    assert all(len(part.columns) == 1 for part in together.parts)
    assert together.columns == tuple(dict.fromkeys(p.columns[0] for p in together.parts))
    assert not [g for g in groups if g.frame is Frame.EXTREMES and not g.parts]
    assert [e.expectation_type for e in together.suite.expectations] == [
        e.expectation_type for part in together.parts for e in part.suite.expectations]


def test_the_column_set_expectation_is_judged_on_the_header_alone():
    groups = group_by_columns(build_suite("assessments"))
    header = [g for g in groups if g.frame is Frame.HEADER]
    assert [e.expectation_type for g in header for e in g.suite.expectations] == [
        "expect_table_columns_to_match_set"]


def test_what_distinct_values_cannot_judge_is_judged_on_every_row():
    # A row count, an aggregate, a share of rows: distinct values would change the answer.
    assert frame_for(gxe.ExpectTableRowCountToBeBetween(min_value=1)) is Frame.ROWS
    assert frame_for(gxe.ExpectColumnMeanToBeBetween(column="dose_mg", min_value=0)) is Frame.ROWS
    assert frame_for(gxe.ExpectColumnValuesToBeInSet(
        column="route", value_set=["IV"], mostly=0.6)) is Frame.ROWS
    assert frame_for(gxe.ExpectColumnValuesToBeInSet(
        column="route", value_set=["IV"])) is Frame.DISTINCT


def test_a_range_is_judged_on_the_smallest_and_largest_value():
    assert frame_for(gxe.ExpectColumnValuesToBeBetween(
        column="dose_mg", min_value=0, max_value=1000)) is Frame.EXTREMES
    assert frame_for(gxe.ExpectColumnValuesToBeBetween(
        column="value", min_value=0, max_value=1,
        row_condition=Column("instrument") == "CSSRS_SCREEN")) is Frame.DISTINCT
    assert frame_for(gxe.ExpectColumnValuesToBeBetween(
        column="dose_mg", min_value=0, max_value=1000, mostly=0.9)) is Frame.ROWS


def test_what_a_value_is_judged_by_alone_is_judged_on_one_row_per_property():
    # Null-ness, type and length: an identifier column needs a row per length, not per id.
    assert frame_for(gxe.ExpectColumnValuesToNotBeNull(column="session_id")) is Frame.PROPERTIES
    assert frame_for(gxe.ExpectColumnValueLengthsToBeBetween(
        column="session_id", min_value=1, max_value=64)) is Frame.PROPERTIES
    assert frame_for(gxe.ExpectColumnValuesToMatchRegex(
        column="patient_key", regex="^[a-z0-9]+$")) is Frame.PROPERTIES
    # Where DuckDB's regex engine and Python's may part ways, every distinct value.
    assert frame_for(gxe.ExpectColumnValuesToMatchRegex(
        column="patient_key", regex=r"^\w+$")) is Frame.DISTINCT
    assert frame_for(gxe.ExpectColumnValuesToMatchRegex(
        column="patient_key", regex="(?i)^[a-z]+$")) is Frame.DISTINCT
    assert frame_for(gxe.ExpectColumnValuesToNotBeNull(
        column="session_id", row_condition=Column("status") == "COMPLETED")) is Frame.DISTINCT
    assert frame_for(gxe.ExpectColumnValuesToNotBeNull(
        column="session_id", mostly=0.9)) is Frame.ROWS
