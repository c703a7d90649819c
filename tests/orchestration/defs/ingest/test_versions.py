"""Two-step loads: versions, withdrawals, a late patient, re-sent files, re-runs."""

from __future__ import annotations

from tests.orchestration.defs.ingest.conftest import (
    ASSESSMENTS_HEADER,
    PATIENTS_HEADER,
    SESSIONS_HEADER,
    phq9_rows,
    session_row,
)


def test_corrected_version_is_kept_beside_the_first(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row(dose="34")])
    with_patient.ingest()
    with_patient.drop("sessions_ANC-01_2026-03-08.csv", [
        SESSIONS_HEADER + ",record_version", session_row(dose="41") + ",2"])
    with_patient.ingest()
    assert with_patient.all(
        "select record_version, dose_mg from raw.sessions order by record_version"
    ) == [(1, 34.0), (2, 41.0)]


def test_withdrawal_is_a_new_version_marked_entered_in_error(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row()])
    with_patient.ingest()
    with_patient.drop("sessions_ANC-01_2026-03-08.csv", [
        SESSIONS_HEADER + ",record_version,entered_in_error", session_row() + ",2,true"])
    with_patient.ingest()
    assert with_patient.all(
        "select record_version, entered_in_error from raw.sessions order by 1"
    ) == [(1, False), (2, True)]


def test_same_version_with_other_content_is_a_conflict_and_first_wins(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row(dose="34")])
    with_patient.ingest()
    with_patient.drop("sessions_ANC-01_2026-03-08.csv", [SESSIONS_HEADER, session_row(dose="99")])
    with_patient.ingest()
    assert with_patient.reasons("sessions") == [(1, "VERSION_CONFLICT", "record_version")]
    assert with_patient.all("select dose_mg from raw.sessions") == [(34.0,)]


def test_cumulative_export_resending_a_record_unchanged_is_a_no_op(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row("S-1")])
    with_patient.ingest()
    with_patient.drop("sessions_ANC-01_2026-03-08.csv",
                      [SESSIONS_HEADER, session_row("S-1"), session_row("S-2")])
    (outcome,) = with_patient.ingest()
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_unchanged,
            outcome.rows_quarantined) == (2, 2, 1, 0)
    assert with_patient.one("select count(*) from raw.sessions") == (2,)


def test_assessment_version_replaces_the_administration_as_a_whole(with_patient):
    with_patient.drop("assessments_ANC-01_2026-03-01.csv",
                      [ASSESSMENTS_HEADER, *phq9_rows("A-1")])
    with_patient.ingest()
    corrected = [r + ",2" for r in phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, 0))]
    with_patient.drop("assessments_ANC-01_2026-03-08.csv",
                      [ASSESSMENTS_HEADER + ",record_version", *corrected])
    with_patient.ingest()
    assert with_patient.all(
        "select record_version, sum(value) from raw.assessments group by 1 order by 1"
    ) == [(1, 18), (2, 8)]
    # The same administration and version again, one item changed: a conflict for all its rows.
    changed = [r + ",2" for r in phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, 1))]
    with_patient.drop("assessments_ANC-01_2026-03-15.csv",
                      [ASSESSMENTS_HEADER + ",record_version", *changed])
    (outcome,) = with_patient.ingest()
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (0, 9)
    assert {r for _, r, _ in with_patient.reasons("assessments")} == {"VERSION_CONFLICT"}


def test_late_patient_turns_orphans_into_known_rows(registry):
    registry.drop("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row()])
    (sessions,) = registry.ingest()
    assert sessions.rows_orphaned == 1
    registry.drop("patients_ANC-01_2026-03-08.csv",
                  [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05"])
    registry.ingest()
    assert registry.one(
        "select count(*) from raw.sessions where patient_key in "
        "(select patient_key from raw.patients)") == (1,)


def test_resent_file_under_another_name_is_recorded_as_duplicate(with_patient):
    rows = [SESSIONS_HEADER, session_row()]
    with_patient.drop("sessions_ANC-01_2026-03-01.csv", rows)
    with_patient.ingest()
    before = with_patient.one("select count(*) from raw.sessions")
    with_patient.drop("sessions_ANC-01_2026-03-01 (copy).csv", rows)
    (outcome,) = with_patient.ingest()
    assert outcome.status == "DUPLICATE"
    assert outcome.duplicate_of == "sessions_ANC-01_2026-03-01.csv"
    assert with_patient.one("select count(*) from raw.sessions") == before


def test_rerun_on_the_same_inbox_changes_nothing(with_patient):
    with_patient.drop("sessions_ANC-01_2026-03-01.csv",
                      [SESSIONS_HEADER, session_row(), session_row("S-2", dose="x")])
    with_patient.drop("assessments_ANC-01_2026-03-01.csv",
                      [ASSESSMENTS_HEADER, *phq9_rows(total=19)])
    with_patient.drop("notes_ANC-01.csv", ["a", "1"])
    with_patient.ingest()
    before = with_patient.snapshot()
    assert with_patient.ingest() == []
    assert with_patient.snapshot() == before


def test_new_bytes_under_a_name_already_loaded_are_a_new_file(with_patient):
    """A cumulative export rewritten under its old name: its identity is its bytes."""
    name = "sessions_ANC-01_cumulative.csv"
    with_patient.drop(name, [SESSIONS_HEADER, session_row()])
    with_patient.ingest()
    with_patient.drop(name, [SESSIONS_HEADER, session_row(), session_row("S-2")])
    (outcome,) = with_patient.ingest()
    assert (outcome.status, outcome.rows_loaded, outcome.rows_unchanged) == ("LOADED", 2, 1)
    assert with_patient.all("select file_name from ops.ingest_manifest "
                            "where entity = 'sessions'") == [(name,), (name,)]
    assert with_patient.one("select count(distinct session_id) from raw.sessions") == (2,)


def test_rejected_bytes_arriving_again_are_rejected_again(registry):
    content = [PATIENTS_HEADER + ",email", "pat0001,ANC-01,1978,F,TRD,4,2026-01-05,a@b.org"]
    registry.drop("patients_ANC-01_2026-03-01.csv", content)
    registry.ingest()
    registry.drop("patients_ANC-01_2026-03-02.csv", content)
    (outcome,) = registry.ingest()
    assert outcome.status == "REJECTED_PHI"
    assert not (registry.inbox / "patients_ANC-01_2026-03-02.csv").exists()


def test_cumulative_export_resending_an_administration_unchanged_is_a_no_op(with_patient):
    # Values are read as numbers and held as integers: the comparison must see 3 and 3.0
    # as one value, or every administration a cumulative export resends is a conflict.
    with_patient.drop("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, *phq9_rows("A-1")])
    with_patient.ingest()
    with_patient.drop("assessments_ANC-01_2026-03-08.csv", [
        ASSESSMENTS_HEADER, *phq9_rows("A-1"), *phq9_rows("A-2", when="2026-01-14 08:30")])
    (outcome,) = with_patient.ingest()
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_unchanged,
            outcome.rows_quarantined) == (18, 18, 9, 0)
    assert with_patient.one("select count(*) from raw.assessments") == (18,)
