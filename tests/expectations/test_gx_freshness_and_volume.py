"""Freshness of the registry and row volume against the previous run."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from expectations.marts.freshness import check_freshness
from expectations.marts.volume import check_volume, count_rows, load_row_counts, save_row_counts

NOW = datetime(2026, 3, 15, 12, 0)


def test_a_stale_as_of_date_fails_with_its_age():
    result = check_freshness(date(2026, 2, 1), timedelta(days=14), now=NOW)

    assert not result.success
    assert (result.evaluated, result.failed) == (1, 1)
    assert result.failures == [
        "expect_data_to_be_fresh: as_of_date is 42.5 days old, more than the 14 days allowed"
    ]
    assert result.raw["results"][0]["success"] is False


def test_a_recent_last_load_passes():
    result = check_freshness(
        datetime(2026, 3, 15, 6, 0), timedelta(hours=26), now=NOW, what="last load"
    )

    assert result.success
    assert result.failures == []


def test_no_data_at_all_is_not_fresh():
    result = check_freshness(None, timedelta(days=14), now=NOW)

    assert result.failures == ["expect_data_to_be_fresh: no as_of_date: no data"]


def test_a_table_dropping_to_zero_fails_even_when_any_shrink_is_allowed():
    result = check_volume(
        {"marts.course_outcomes": 0, "marts.outcome_rates": 96},
        {"marts.course_outcomes": 1800, "marts.outcome_rates": 96},
        max_shrink=1.0,
    )

    assert not result.success
    assert (result.evaluated, result.failed) == (2, 1)
    assert result.failures == [
        "expect_table_not_to_shrink: marts.course_outcomes: 0 rows, previous run had 1800"
    ]


def test_a_table_losing_more_than_the_allowed_fraction_fails():
    previous = {"marts.side_effect_rates": 1000}

    assert not check_volume({"marts.side_effect_rates": 400}, previous).success
    assert check_volume({"marts.side_effect_rates": 500}, previous).success
    assert check_volume({"marts.side_effect_rates": 400}, previous, max_shrink=0.7).success


def test_growth_new_tables_and_a_first_run_pass():
    assert check_volume({"a": 10, "b": 0}, {"a": 5}).success
    assert check_volume({"a": 10}, None).success
    assert check_volume({"a": 0}, {"a": 0}).success


def test_counts_survive_between_runs(tmp_path, warehouse, insert, valid_rows):
    insert("raw.patients", valid_rows("patients"))
    counts = count_rows(warehouse, ["raw.patients", "ops.ingest_manifest"])
    path = tmp_path / "gx" / "row_counts.json"

    assert load_row_counts(path) is None
    save_row_counts(path, counts)

    assert load_row_counts(path) == {"raw.patients": 3, "ops.ingest_manifest": 0}
