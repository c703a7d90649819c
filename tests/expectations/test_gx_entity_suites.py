"""GX at the door: each entity suite passes the typed rows the ingest accepts, and names the
one expectation a single planted defect breaks."""

from __future__ import annotations

import json

import pytest

from expectations.registry import ENTITY_SUITES, build_suite
from expectations.runner import validate_frame


@pytest.mark.parametrize("entity", ENTITY_SUITES)
def test_accepted_rows_pass(entity, typed_frame, valid_rows):
    result = validate_frame(entity, typed_frame(entity, valid_rows(entity)))

    assert result.failures == []
    assert result.success
    assert result.evaluated == len(build_suite(entity).expectations)


@pytest.mark.parametrize("entity", ENTITY_SUITES)
def test_a_file_with_every_row_quarantined_passes(entity, typed_frame):
    # DuckDB hands an empty VARCHAR column to pandas as object, not str.
    result = validate_frame(entity, typed_frame(entity, []))

    assert result.success, result.failures


DEFECTS = [
    ("sessions", 0, {"route": "IVV"}, "expect_column_values_to_be_in_set(route)"),
    ("sessions", 0, {"dose_mg": 5000.0}, "expect_column_values_to_be_between(dose_mg)"),
    ("sessions", 1, {"dose_mg": 0.0}, "expect_column_values_to_be_between(dose_mg)"),
    ("sessions", 0, {"spo2_min": 101}, "expect_column_values_to_be_between(spo2_min)"),
    ("sessions", 2, {"record_version": 1},
     "expect_compound_columns_to_be_unique(session_id, record_version)"),
    ("sessions", 0, {"side_effects": "NAUSEA;;"},
     "expect_column_values_to_match_regex(side_effects)"),
    ("sessions", 0, {"record_version": 0}, "expect_column_values_to_be_between(record_version)"),
    ("patients", 0, {"sex": "Q"}, "expect_column_values_to_be_in_set(sex)"),
    ("patients", 0, {"patient_key": "k7Q"}, "expect_column_values_to_match_regex(patient_key)"),
    ("patients", 0, {"site_id": "anc-01"}, "expect_column_values_to_match_regex(site_id)"),
    ("patients", 0, {"prior_treatment_failures": 51},
     "expect_column_values_to_be_between(prior_treatment_failures)"),
    ("assessments", 0, {"value": 4},
     "expect_column_values_to_be_between(value) "
     "where (\"instrument\" = 'PHQ9' AND \"item\" <> 'total')"),
    ("assessments", 10, {"value": 81},
     "expect_column_values_to_be_between(value) "
     "where (\"instrument\" = 'PCL5' AND \"item\" = 'total')"),
    ("assessments", 8, {"item": "10"},
     "expect_column_values_to_be_in_set(item) where \"instrument\" = 'PHQ9'"),
    ("assessments", 11, {"instrument": "PHQ8"}, "expect_column_values_to_be_in_set(instrument)"),
    ("assessments", 1, {"item": "1"},
     "expect_compound_columns_to_be_unique(assessment_id, item, record_version)"),
    ("adverse_events", 0, {"severity": "FATAL"}, "expect_column_values_to_be_in_set(severity)"),
    ("adverse_events", 1, {"event_id": "E" * 65},
     "expect_column_value_lengths_to_be_between(event_id)"),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "row", "change", "expected"), DEFECTS)
def test_one_defect_fails_the_expectation_that_guards_it(
    entity, row, change, expected, typed_frame, valid_rows
):
    rows = valid_rows(entity)
    rows[row].update(change)

    result = validate_frame(entity, typed_frame(entity, rows))

    assert not result.success
    assert result.failed == 1
    assert result.failures[0].startswith(expected + ":"), result.failures
    assert "1 unexpected" in result.failures[0] or "2 unexpected" in result.failures[0]


def test_a_value_of_the_wrong_type_is_named_by_dtype(typed_frame, valid_rows):
    frame = typed_frame("sessions", valid_rows("sessions"))
    frame["dose_mg"] = frame["dose_mg"].astype(str)  # e.g. an ingest that forgot its cast

    result = validate_frame("sessions", frame)

    assert "expect_column_values_to_be_in_type_list(dose_mg): observed str" in result.failures
    # The range check cannot compare text with numbers: it reports the exception's class only.
    assert "expect_column_values_to_be_between(dose_mg): raised " in result.failures[0]


def test_a_missing_or_extra_column_is_named(typed_frame, valid_rows):
    frame = typed_frame("patients", valid_rows("patients")).drop(columns=["sex"])
    frame["email"] = "x"

    result = validate_frame("patients", frame)

    assert (
        "expect_table_columns_to_match_set(): missing columns ['sex']; unexpected columns ['email']"
    ) in result.failures
    assert "expect_column_values_to_not_be_null(sex): raised MetricResolutionError" in (
        result.failures
    )


def test_failures_and_raw_results_never_carry_row_values(typed_frame, valid_rows, sentinel):
    rows = valid_rows("sessions")
    rows[0].update(route=sentinel, patient_key=sentinel, side_effects=sentinel, drug=sentinel)
    rows[1].update(dose_mg=12345.678, weight_kg=12345.678, session_id=sentinel * 6)

    result = validate_frame("sessions", typed_frame("sessions", rows))

    assert result.failed >= 6
    shown = json.dumps(result.failures) + json.dumps(result.raw)
    assert sentinel not in shown
    assert "12345" not in shown
