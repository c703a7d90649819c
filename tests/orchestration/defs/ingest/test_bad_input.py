"""One crafted file for every line of exports.md's bad-input table."""

from __future__ import annotations

import pytest

from tests.orchestration.defs.ingest.conftest import (
    ASSESSMENTS_HEADER,
    PATIENTS_HEADER,
    SESSIONS_HEADER,
    phq9_rows,
    session_row,
)


def _manifest(registry, name):
    return registry.one(
        "select status, reason, warnings, rows_read, rows_loaded, rows_quarantined "
        "from ops.ingest_manifest where file_name = ?", [name])


# --- file level -----------------------------------------------------------


@pytest.mark.parametrize("column", ["patient_name", "Email", "MRN", "date_of_birth", "zip_code",
                                    "home address", "phone_number", "ssn"])
def test_identifier_column_rejects_the_file_naming_the_column_only(registry, column):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, [f"{PATIENTS_HEADER},{column}",
                         "pat0001,ANC-01,1978,F,TRD,4,2026-01-05,SENTINEL-VALUE-1"])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_PHI"
    assert column.strip().lower() in reason
    assert "SENTINEL" not in reason
    assert registry.one("select count(*) from raw.patients") == (0,)


@pytest.mark.parametrize("value, kind", [
    ("jane.doe@example.org", "email address"),
    ("(555) 123-4567", "phone number"),
    ("+44 20 7946 0958", "phone number"),
    ("123-45-6789", "SSN"),
])
def test_identifier_value_rejects_the_file(registry, value, kind):
    name = "sessions_ANC-01_2026-03-01.csv"
    registry.drop(name, [f"{SESSIONS_HEADER},notes", session_row() + f",{value}"])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_PHI"
    assert kind in reason and "notes" in reason
    assert value not in reason


def test_one_identifier_among_many_repeated_values_rejects_the_file(registry):
    # One email in 300 rows must still count (the probe's two queries, a pass over the rows
    # and each column's distinct values for a large file: test_phi_gate.py).
    name = "sessions_ANC-01_2026-03-01.csv"
    rows = [session_row(session_id=f"S-{i}") + ",called back" for i in range(300)]
    rows[217] = session_row(session_id="S-217") + ",jane.doe@example.org"
    registry.drop(name, [f"{SESSIONS_HEADER},notes", *rows])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_PHI"
    assert "email address" in reason and "notes" in reason
    assert registry.one("select count(*) from raw.sessions") == (0,)


def test_an_identifier_in_a_file_of_many_columns_rejects_the_file(registry):
    # A file wider than the probe's distinct-value queries go must still be probed.
    name = "sessions_ANC-01_2026-03-01.csv"
    extra = [f"extra_{i}" for i in range(100)]
    values = ["x"] * 100
    values[63] = "123-45-6789"
    registry.drop(name, [",".join([SESSIONS_HEADER, *extra]),
                         ",".join([session_row(), *values])])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_PHI"
    assert "SSN" in reason and "extra_63" in reason


def test_clinical_values_are_not_mistaken_for_identifiers(with_patient):
    # Timestamps, dates, pseudonymous keys and ids must pass the value probe.
    name = "sessions_ANC-01_2026-03-01.csv"
    with_patient.drop(name, [SESSIONS_HEADER,
                             session_row(session_id="ANC-S-0001-555-1234"),
                             session_row(session_id="2026-01-08T09:00:00+01:00")])
    with_patient.ingest()
    assert _manifest(with_patient, name)[0] == "LOADED"


def test_not_utf8_is_rejected_as_schema(registry):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, (PATIENTS_HEADER + "\npat0001,ANC-01,1978,F,TRD,4,2026-01-05\n"
                         "pat0002,ANC-01,1978,F,TRD,4,2026-01-05,Jos\xe9\n").encode("latin-1"))
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_SCHEMA"
    assert "UTF-8" in reason


def test_ragged_csv_is_rejected_with_its_line_and_no_value(registry):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05",
                         "pat0002,ANC-01,1978,F,TRD,4,2026-01-05,SENTINEL-EXTRA"])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_SCHEMA"
    assert "line 3" in reason and "SENTINEL" not in reason
    assert registry.one("select count(*) from raw.patients") == (0,)


def test_empty_file_is_rejected(registry):
    registry.drop("patients_ANC-01_2026-03-01.csv", b"")
    registry.ingest()
    assert _manifest(registry, "patients_ANC-01_2026-03-01.csv")[:2] == (
        "REJECTED_SCHEMA", "the file is empty")


def test_unparseable_parquet_is_rejected(registry):
    registry.drop("sessions_ANC-01_2026-03-01.parquet", b"PAR1 this is not parquet")
    registry.ingest()
    assert _manifest(registry, "sessions_ANC-01_2026-03-01.parquet")[0] == "REJECTED_SCHEMA"


def test_missing_required_column_is_rejected_naming_it(registry):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, ["patient_key,site_id,birth_year", "pat0001,ANC-01,1978"])
    registry.ingest()
    status, reason, *_ = _manifest(registry, name)
    assert status == "REJECTED_SCHEMA"
    assert reason == "required columns missing: primary_indication, enrolled_on"


def test_unknown_entity_is_rejected_and_moved_out_of_the_inbox(registry):
    path = registry.drop("visits_ANC-01_2026-03-01.csv", ["a,b", "1,2"])
    registry.ingest()
    assert _manifest(registry, path.name)[0] == "REJECTED_UNKNOWN_ENTITY"
    assert not path.exists()
    copies = list((registry.home / "rejected").iterdir())
    assert len(copies) == 1 and copies[0].stat().st_mode & 0o777 == 0o600


def test_unknown_extra_column_is_ignored_and_named_as_a_warning(registry):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, [f"{PATIENTS_HEADER},favourite_colour",
                         "pat0001,ANC-01,1978,F,TRD,4,2026-01-05,blue"])
    registry.ingest()
    status, _, warnings, read, loaded, quarantined = _manifest(registry, name)
    assert (status, read, loaded, quarantined) == ("LOADED", 1, 1, 0)
    assert warnings == "ignored unknown columns: favourite_colour"


def test_column_names_match_case_insensitively_in_any_order_with_a_bom(registry):
    name = "patients_ANC-01_2026-03-01.csv"
    registry.drop(name, "\ufeff ENROLLED_ON ,Patient_Key,SITE_ID,primary_indication\r\n"
                        "2026-01-05,pat0001,ANC-01,trd\r\n")
    registry.ingest()
    assert registry.one("select patient_key, primary_indication, sex, record_version, "
                        "entered_in_error from raw.patients") == (
        "pat0001", "TRD", "U", 1, False)


# --- row level --------------------------------------------------------------


@pytest.mark.parametrize("row, reason, column", [
    (session_row(dose="abc"), "INVALID_TYPE", "dose_mg"),
    (session_row(dose="5000"), "OUT_OF_RANGE", "dose_mg"),
    (session_row(dose="0"), "OUT_OF_RANGE", "dose_mg"),
    (session_row(route="IVV"), "INVALID_CODE", "route"),
    (session_row(side_effects="NAUSEA;HEADACH"), "INVALID_CODE", "side_effects"),
    (session_row(patient="ab"), "MALFORMED_KEY", "patient_key"),
    (session_row(patient="pat 0001"), "MALFORMED_KEY", "patient_key"),
    (session_row(started="08/01/2026 09:00"), "INVALID_DATE", "started_at"),
    (session_row(started="2026-02-30 09:00"), "INVALID_DATE", "started_at"),
    (session_row(started="2026-03-03 12:01"), "FUTURE_TIMESTAMP", "started_at"),
    (session_row(status=""), "MISSING_REQUIRED", "status"),
])
def test_bad_row_is_quarantined_with_its_reason(with_patient, row, reason, column):
    name = "sessions_ANC-01_2026-03-01.csv"
    with_patient.drop(name, [SESSIONS_HEADER, session_row(session_id="S-OK"), row])
    with_patient.ingest()
    assert _manifest(with_patient, name)[3:] == (2, 1, 1)
    assert with_patient.reasons("sessions") == [(2, reason, column)]
    assert with_patient.all("select session_id from raw.sessions") == [("S-OK",)]


def test_a_timestamp_one_day_after_the_load_is_still_accepted(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv",
                      [SESSIONS_HEADER, session_row(started="2026-03-03 11:59")])
    with_patient.ingest()
    assert with_patient.reasons("sessions") == []


def test_codes_and_booleans_are_normalised(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [
        SESSIONS_HEADER + ",entered_in_error,record_version",
        session_row(route=" iv ", drug="Ketamine", side_effects="nausea; Dissociation;NAUSEA")
        + ",N,2.0",
    ])
    with_patient.ingest()
    assert with_patient.one(
        "select route, drug, side_effects, entered_in_error, record_version from raw.sessions"
    ) == ("IV", "KETAMINE", "DISSOCIATION;NAUSEA", False, 2)


def test_offset_is_dropped_and_wall_clock_kept(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv",
                      [SESSIONS_HEADER, session_row(started="2026-01-08T09:00:00-05:00")])
    with_patient.ingest()
    assert str(with_patient.one("select started_at from raw.sessions")[0]) == "2026-01-08 09:00:00"


def test_total_mismatch_quarantines_the_administration(with_patient):
    rows = phq9_rows("A-BAD", total=19) + phq9_rows("A-OK", total=18)
    with_patient.drop("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, *rows])
    with_patient.ingest()
    reasons = with_patient.reasons("assessments")
    assert len(reasons) == 10 and {r for _, r, _ in reasons} == {"TOTAL_MISMATCH"}
    assert with_patient.one("select count(distinct assessment_id), count(*) from raw.assessments"
                            ) == (1, 10)


def test_conflicting_duplicate_item_quarantines_the_administration(with_patient):
    rows = phq9_rows("A-1") + ["A-1,pat0001,ANC-01,PHQ9,2026-01-07 08:30,4,0"]
    with_patient.drop("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, *rows])
    with_patient.ingest()
    assert {r for _, r, _ in with_patient.reasons("assessments")} == {"DUPLICATE_ITEM_CONFLICT"}
    assert with_patient.one("select count(*) from raw.assessments") == (0,)


def test_one_bad_item_takes_its_administration_with_it(with_patient):
    rows = phq9_rows("A-1", items=(3, 3, 2, 7, 1, 2, 2, 1, 1))
    with_patient.drop("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, *rows])
    with_patient.ingest()
    reasons = with_patient.reasons("assessments")
    assert reasons[3] == (4, "OUT_OF_RANGE", "value")
    assert {r for i, r, _ in reasons if i != 4} == {"ADMINISTRATION_REJECTED"}
    assert len(reasons) == 9


@pytest.mark.parametrize("row, reason", [
    ("A-9,pat0001,ANC-01,PHQ9,2026-01-07 08:30,10,1", "UNKNOWN_ITEM"),
    ("A-9,pat0001,ANC-01,CSSRS_SCREEN,2026-01-07 08:30,total,1", "UNKNOWN_ITEM"),
    ("A-9,pat0001,ANC-01,QIDS_SR16,2026-01-07 08:30,3,1", "UNKNOWN_ITEM"),
    ("A-9,pat0001,ANC-01,PHQ-9x,2026-01-07 08:30,1,1", "INVALID_CODE"),
    ("A-9,pat0001,ANC-01,PHQ9,2026-01-07 08:30,total,28", "OUT_OF_RANGE"),
    ("A-9,pat0001,ANC-01,PHQ9,2026-01-07 08:30,1,1.5", "INVALID_TYPE"),
])
def test_assessment_rows_checked_against_the_instrument_catalog(with_patient, row, reason):
    with_patient.drop("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, row])
    with_patient.ingest()
    assert [r for _, r, _ in with_patient.reasons("assessments")] == [reason]


def test_orphan_is_kept_and_counted(with_patient):
    name = "sessions_ANC-01_2026-03-01.csv"
    with_patient.drop(name, [SESSIONS_HEADER, session_row(session_id="S-1"),
                             session_row(session_id="S-2", patient="unknown01")])
    with_patient.ingest()
    assert with_patient.one("select rows_loaded, rows_orphaned from ops.ingest_manifest "
                            "where file_name = ?", [name]) == (2, 1)
    assert with_patient.one("select count(*) from raw.sessions") == (2,)


def test_every_file_balances(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [
        SESSIONS_HEADER, session_row(session_id="S-1"), session_row(session_id="S-2", dose="x"),
        session_row(session_id="S-1"), session_row(session_id="S-1", dose="40"),
    ])
    with_patient.ingest()
    assert with_patient.all(
        "select count(*) from ops.ingest_manifest "
        "where rows_read <> rows_loaded + rows_quarantined") == [(0,)]
    assert with_patient.one("select rows_read, rows_loaded, rows_unchanged, rows_quarantined "
                            "from ops.ingest_manifest where entity = 'sessions'") == (4, 2, 1, 2)
    assert [r for _, r, _ in with_patient.reasons("sessions")] == [
        "INVALID_TYPE", "VERSION_CONFLICT"]
