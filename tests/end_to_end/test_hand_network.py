"""A hand-computed network through the real `ketreg run`, every mart compared exactly.

The inbox in hand_network/inbox/ is what two clinics would drop: one file per
entity and site dated 2026-10-01, and later-dated files (2026-10-02) with a
corrected patient, a corrected and a withdrawn administration, and a withdrawn
session. It goes through the whole job (ingest, dbt, checks, publish) once per
module; the marts are then read back and compared with numbers worked out BY
HAND from spec/outcomes.md (the comment beside each expected row says why).

ANC-01 gives IV ketamine (one IM session), BRV-02 intranasal esketamine (one
IM ketamine patient). as_of_date = 2026-09-30, the date of A6-S2, the latest
countable session; the orphan's 2026-10-05 records and the quarantined
2026-10-15 session would each have moved it.

Primary-instrument courses (B = baseline, E = endpoint, day = calendar days
from the course's first session; ITT = evaluable and as_of - start >= 56):

 course     instr     B   E  eval ITT compl resp remit det
 anc-p01:1  PHQ9     20   9   y    y   y     y    -     -
 anc-p02:1  PHQ9     22   3   y    y   y     y    y     -
 anc-p03:1  PHQ9     16   8   y    y   y     y    -     -
 anc-p04:1  PHQ9    14p   -   y    y   -     -    -     -
 anc-p05:1  PHQ9     18  12   y    y   y     -    -     -
 anc-p05:2  PHQ9      9   4   -    -   -     -    -     -
 anc-p06:1  PHQ9     21   4   y    -   -     -    -     -
 anc-p07:1  PHQ9     15  10   y    y   y     -    -     -
 brv-p01:1  PCL5     40  30   y    y   y     -    y     -
 brv-p02:1  PAIN_NRS  8   5   y    y   y     y    -     -
 brv-p03:1  PHQ9     14  20   y    y   y     -    -     y
 brv-p04:1  PHQ9      -   8   -    -   -     -    -     -
 brv-p05:1  PHQ9     12   4   y    y   y     y    y     -
 + brv-p01:1 GAD7 (secondary, has a baseline): 12 -> 5, responded (58%), not remitted (5 > 4);
   brv-p03's GAD7 has an endpoint only: no secondary row.

The edge each course stands on:
 anc-p01:1  B on day -30 (in); E on day 14; a day-57 score of 3 is out
 anc-p02:1  B at the dose minute; a 12:00 same-day score is not B; E on day 56 at 23:30;
            IV, IV then IM: mixed route
 anc-p03:1  two E at the same minute: the larger assessment_id (8) wins; 8/16 is exactly 50%;
            a later E (day 44, total 2) was withdrawn at v2
 anc-p04:1  B = 8 items summing 12 -> 13.5 -> 14 (prorated); a day-13 score is out; a 60-day
            gap keeps one course
 anc-p05:1  E corrected at v2 (9 items with item 9 = 3 -> a total of 12); a 61-day gap ends
            the course, and the cancelled session inside the gap bridges nothing
 anc-p05:2  B 9 < 10: not evaluable
 anc-p06:1  started 55 days before as_of: evaluable, not yet ITT
 anc-p07:1  started exactly 56 days before as_of: ITT; a day-28 score of 8 items summing 4 is
            prorated to 4.5 -> 5 (half away from zero, not to even)
 brv-p01:1  PTSD only in the patient's v2 -> PCL5; 25% < 30% but 30 <= 32: a remitter who
            did not respond
 brv-p02:1  CHRONIC_PAIN -> PAIN_NRS; dose at 23:00, E at 00:30 on calendar day 14 (less than
            14 x 24 h later) is in; a 00:15 score on day 57 is out
 brv-p03:1  +6 >= 5: deteriorated; BP_EXCURSION edges and a TERMINATED_EARLY session
 brv-p04:1  no baseline: day -31 is out, the day-0 administration has 2 items missing
 brv-p05:1  E = items summing 4 with item 9 = 2 (a safety flag on a low total)

ITT 10, completers 9, responders 5, remitters 3, deteriorated 1.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.end_to_end.harness import ketreg_run, r4, read_only, rows, scalar, wilson

pytestmark = pytest.mark.slow

INBOX = Path(__file__).parent / "hand_network" / "inbox"
A, B = "ANC-01", "BRV-02"
T, F = True, False


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("hand_network_home")
    inbox = home / "inbox"
    shutil.copytree(INBOX, inbox)
    done = ketreg_run(home, inbox)
    assert done.result.returncode == 0, done.failure()
    print(f"\nketreg run over the hand network: {done.seconds:.0f} s")
    return done


@pytest.fixture(scope="module")
def con(run):
    connection = read_only(run.warehouse)
    yield connection
    connection.close()


# --------------------------------------------------------------------------- ingest


# file -> (entity, status, rows_read, rows_loaded, rows_quarantined, rows_orphaned), counted
# from the CSV files by hand.
MANIFEST = {
    "patients_ANC-01_2026-10-01.csv": ("patients", "LOADED", 7, 7, 0, 0),
    "patients_BRV-02_2026-10-01.csv": ("patients", "LOADED", 5, 5, 0, 0),
    "patients_BRV-02_2026-10-02.csv": ("patients", "LOADED", 1, 1, 0, 0),  # brv-p01 v2
    # 19 rows; A6-Q (dose 5000 mg) quarantined; ZZ-S1 belongs to a patient never sent.
    "sessions_ANC-01_2026-10-01.csv": ("sessions", "LOADED", 19, 18, 1, 1),
    "sessions_ANC-01_2026-10-02.csv": ("sessions", "LOADED", 1, 1, 0, 0),  # A1-S3 withdrawn
    "sessions_BRV-02_2026-10-01.csv": ("sessions", "LOADED", 11, 11, 0, 0),
    # 81 item rows; ZZ-P's 9 rows are orphans.
    "assessments_ANC-01_2026-10-01.csv": ("assessments", "LOADED", 81, 81, 0, 9),
    "assessments_ANC-01_2026-10-02.csv": ("assessments", "LOADED", 2, 2, 0, 0),
    "assessments_BRV-02_2026-10-01.csv": ("assessments", "LOADED", 49, 49, 0, 0),
    "adverse_events_ANC-01_2026-10-01.csv": ("adverse_events", "LOADED", 4, 4, 0, 1),  # AE-5
    "adverse_events_BRV-02_2026-10-01.csv": ("adverse_events", "LOADED", 1, 1, 0, 0),
}


def test_the_run_prints_a_balanced_summary(run):
    assert "Rows: 181 read, 180 loaded, 1 quarantined" in run.result.stdout
    assert sorted(p.name for p in INBOX.iterdir()) == sorted(MANIFEST)


def test_manifest_balances_file_by_file(con):
    got = {
        r["file_name"]: r
        for r in rows(con, "select * from ops.ingest_manifest")
    }
    assert set(got) == set(MANIFEST)
    for name, (entity, status, read, loaded, quarantined, orphaned) in MANIFEST.items():
        row = got[name]
        assert (row["entity"], row["status"], row["rows_read"], row["rows_loaded"],
                row["rows_quarantined"], row["rows_orphaned"]) == (
            entity, status, read, loaded, quarantined, orphaned), name
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"], name
        assert row["warnings"] is None, name


def test_the_one_quarantined_row_and_its_reason(con):
    quarantined = rows(con, "select * from ops.quarantine")
    assert len(quarantined) == 1
    (row,) = quarantined
    # Row 17 of the ANC-01 sessions file: dose_mg 5000 > 1000 (exports.md, sessions).
    assert (row["entity"], row["row_number"], row["record_key"], row["reason"],
            row["reason_column"]) == ("sessions", 17, "A6-Q", "OUT_OF_RANGE", "dose_mg")
    assert json.loads(row["row_json"])["dose_mg"] == "5000"
    assert scalar(con, "select count(*) from raw.sessions where session_id = 'A6-Q'") == 0


def test_the_orphan_stays_an_orphan(con):
    # Loaded into raw (kept and counted, exports.md) ...
    assert scalar(con, "select count(*) from raw.sessions where patient_key = 'zzz-p99'") == 1
    assert scalar(con, "select count(*) from raw.assessments where patient_key = 'zzz-p99'") == 9
    # ... and in no mart: its item 9 = 3 raises no flag, its date moves no as_of_date.
    for mart in ("assessment_scores", "course_outcomes", "safety_flags", "course_trajectories"):
        assert scalar(con, f"select count(*) from marts.{mart} where patient_key = 'zzz-p99'") == 0
    october = rows(con, "select * from marts.data_quality_monthly "
                        "where site_id = 'ANC-01' and month = date '2026-10-01'")
    assert len(october) == 1
    assert (october[0]["n_orphan_sessions"], october[0]["n_orphan_administrations"],
            october[0]["n_orphan_adverse_events"]) == (1, 1, 1)


def test_as_of_date_is_the_latest_countable_session(con):
    assert scalar(con, "select as_of_date from marts.as_of") == date(2026, 9, 30)


# --------------------------------------------------------------------------- assessment_scores

# assessment_id -> (patient_key, site_id, instrument, administered_at, total_score, prorated,
# severity_band, cssrs_risk). Current, scorable administrations of known patients only.
ASSESSMENT_SCORES = {
    # all 9 items, 3+3+2+3+2+2+2+2+1 = 20: severe (20-27)
    "A1-PB": ("anc-p01", A, "PHQ9", "2026-01-31 08:00", 20, F, "severe", None),
    # six items, all 0: C-SSRS risk NONE, no total
    "A1-C": ("anc-p01", A, "CSSRS_SCREEN", "2026-03-02 08:30", None, F, None, "NONE"),
    "A1-PE": ("anc-p01", A, "PHQ9", "2026-03-16 09:00", 9, F, "mild", None),  # total only
    "A1-PL": ("anc-p01", A, "PHQ9", "2026-04-28 09:00", 3, F, "minimal", None),
    # items 3+3+3+2+3+2+2+2+2 = 22 and a stated total 22 that agrees
    "A2-PB": ("anc-p02", A, "PHQ9", "2026-03-09 10:00", 22, F, "severe", None),
    "A2-PP": ("anc-p02", A, "PHQ9", "2026-03-09 12:00", 5, F, "mild", None),
    "A2-PE": ("anc-p02", A, "PHQ9", "2026-05-04 23:30", 3, F, "minimal", None),
    "A3-PB": ("anc-p03", A, "PHQ9", "2026-04-06 08:00", 16, F, "moderately_severe", None),
    # item 3 = 1, items 4-6 = 0: MODERATE
    "A3-C": ("anc-p03", A, "CSSRS_SCREEN", "2026-04-06 08:05", None, F, None, "MODERATE"),
    "A3-E31": ("anc-p03", A, "PHQ9", "2026-05-11 09:00", 9, F, "mild", None),
    "A3-E32": ("anc-p03", A, "PHQ9", "2026-05-11 09:00", 8, F, "mild", None),
    # (A3-W withdrawn at v2: absent)
    # 8 of 9 items summing 12: round(12 * 9 / 8 = 13.5) = 14 (half away from zero), prorated
    "A4-PB": ("anc-p04", A, "PHQ9", "2026-01-05 09:00", 14, T, "moderate", None),
    "A4-P13": ("anc-p04", A, "PHQ9", "2026-01-18 09:00", 6, F, "mild", None),
    "A5-PB1": ("anc-p05", A, "PHQ9", "2026-01-12 09:00", 18, F, "moderately_severe", None),
    # v1 had 9 items summing 17; v2 (a total of 12 only) replaced the whole administration
    "A5-PE1": ("anc-p05", A, "PHQ9", "2026-02-09 09:00", 12, F, "moderate", None),
    "A5-PB2": ("anc-p05", A, "PHQ9", "2026-03-14 09:30", 9, F, "mild", None),
    "A5-PE2": ("anc-p05", A, "PHQ9", "2026-04-13 09:00", 4, F, "minimal", None),
    "A6-PB": ("anc-p06", A, "PHQ9", "2026-08-06 09:00", 21, F, "severe", None),
    "A6-PE": ("anc-p06", A, "PHQ9", "2026-08-20 09:00", 4, F, "minimal", None),
    "A7-PB": ("anc-p07", A, "PHQ9", "2026-08-05 08:00", 15, F, "moderately_severe", None),
    # 8 of 9 items summing 4: 4 * 9 / 8 = 4.5 -> 5 rounding half away from zero (half to
    # even would give 4, and the band minimal); item 9 = 0 raises no flag
    "A7-PM": ("anc-p07", A, "PHQ9", "2026-09-02 08:00", 5, T, "mild", None),
    "A7-PE": ("anc-p07", A, "PHQ9", "2026-09-16 08:00", 10, F, "moderate", None),
    # (ZZ-P: orphan, absent)
    "B1-LB": ("brv-p01", B, "PCL5", "2026-02-01 09:00", 40, F, None, None),  # no bands for PCL5
    # GAD-7 items 2+2+2+2+2+1+1 = 12: moderate (GAD-7 10-14)
    "B1-GB": ("brv-p01", B, "GAD7", "2026-02-01 09:10", 12, F, "moderate", None),
    "B1-C": ("brv-p01", B, "CSSRS_SCREEN", "2026-02-01 09:20", None, F, None, "LOW"),  # item 1
    "B1-LE": ("brv-p01", B, "PCL5", "2026-03-04 09:00", 30, F, None, None),
    "B1-GE": ("brv-p01", B, "GAD7", "2026-03-04 09:05", 5, F, "mild", None),
    "B2-NB": ("brv-p02", B, "PAIN_NRS", "2026-03-02 22:30", 8, F, None, None),  # item 1 = 8
    "B2-NE": ("brv-p02", B, "PAIN_NRS", "2026-03-16 00:30", 5, F, None, None),
    "B2-NL": ("brv-p02", B, "PAIN_NRS", "2026-04-28 00:15", 2, F, None, None),
    "B3-PB": ("brv-p03", B, "PHQ9", "2026-03-02 08:00", 14, F, "moderate", None),
    # item 4 = 1: HIGH whatever items 1-3 say
    "B3-C1": ("brv-p03", B, "CSSRS_SCREEN", "2026-03-02 08:05", None, F, None, "HIGH"),
    "B3-GE": ("brv-p03", B, "GAD7", "2026-03-20 08:00", 15, F, "severe", None),
    "B3-PE": ("brv-p03", B, "PHQ9", "2026-04-13 08:00", 20, F, "severe", None),
    # (B3-C2: 2 of 6 C-SSRS items, none may be missing: not scorable, absent)
    "B4-PO": ("brv-p04", B, "PHQ9", "2026-01-10 08:00", 20, F, "severe", None),
    # (B4-PN: 7 of 9 PHQ-9 items, 2 missing > 1 allowed: not scorable, absent)
    "B4-PE": ("brv-p04", B, "PHQ9", "2026-03-10 08:00", 8, F, "mild", None),
    "B5-PB": ("brv-p05", B, "PHQ9", "2026-04-01 09:00", 12, F, "moderate", None),
    # items 0+1+0+0+1+0+0+0+2 = 4: minimal
    "B5-PE": ("brv-p05", B, "PHQ9", "2026-05-27 10:00", 4, F, "minimal", None),
}


def test_assessment_scores(con):
    got = {
        r["assessment_id"]: (r["patient_key"], r["site_id"], r["instrument"], r["administered_at"],
                             r["total_score"], r["prorated"], r["severity_band"], r["cssrs_risk"])
        for r in rows(con, "select * from marts.assessment_scores")
    }
    expected = {aid: (*v[:3], ts(v[3]), *v[4:]) for aid, v in ASSESSMENT_SCORES.items()}
    assert set(got) == set(expected)
    for aid in expected:
        assert got[aid] == expected[aid], aid


# --------------------------------------------------------------------------- safety_flags

# assessment_id -> (patient_key, site_id, administered_at, instrument, reason, level)
SAFETY_FLAGS = {
    "A1-PB": ("anc-p01", A, "2026-01-31 08:00", "PHQ9", "PHQ9_ITEM9", "1"),
    "A2-PB": ("anc-p02", A, "2026-03-09 10:00", "PHQ9", "PHQ9_ITEM9", "2"),
    "A3-C": ("anc-p03", A, "2026-04-06 08:05", "CSSRS_SCREEN", "CSSRS", "MODERATE"),
    "B1-C": ("brv-p01", B, "2026-02-01 09:20", "CSSRS_SCREEN", "CSSRS", "LOW"),
    "B3-C1": ("brv-p03", B, "2026-03-02 08:05", "CSSRS_SCREEN", "CSSRS", "HIGH"),
    # not scorable (items 1-2 only), level from the items present: item 1 = 1 -> LOW
    "B3-C2": ("brv-p03", B, "2026-04-13 08:05", "CSSRS_SCREEN", "CSSRS", "LOW"),
    # not scorable (2 items missing), but item 9 = 1 is there
    "B4-PN": ("brv-p04", B, "2026-02-10 08:00", "PHQ9", "PHQ9_ITEM9", "1"),
    # item 9 = 2 on a total of 4 (minimal)
    "B5-PE": ("brv-p05", B, "2026-05-27 10:00", "PHQ9", "PHQ9_ITEM9", "2"),
    # Not flagged: A1-C (NONE); A4-PB (item 9 missing); A5-PE1 (item 9 = 3 only in v1,
    # replaced by a total at v2); ZZ-P (item 9 = 3, but an orphan).
}


def test_safety_flags(con):
    got = {
        r["assessment_id"]: (r["patient_key"], r["site_id"], r["administered_at"],
                             r["instrument"], r["reason"], r["level"])
        for r in rows(con, "select * from marts.safety_flags")
    }
    expected = {aid: (*v[:2], ts(v[2]), *v[3:]) for aid, v in SAFETY_FLAGS.items()}
    assert got == expected


# --------------------------------------------------------------------------- course_outcomes

# (course_id, instrument) -> (patient_key, course_number, site_id, route, drug, mixed_route,
#   indication, is_primary, course_start, n_sessions, baseline_score, endpoint_score,
#   evaluable, itt_eligible, completer, change_pct, responded, remitted, deteriorated)
COURSE_OUTCOMES = {
    # S1, S2 (S3 withdrawn at v2). B = A1-PB (day -30), E = A1-PE (day 14); A1-PL (day 57,
    # total 3) is out. (20 - 9) / 20 = 0.55 >= 0.5; 9 > 4.
    ("anc-p01:1", "PHQ9"): ("anc-p01", 1, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-03-02 09:00", 2, 20, 9, T, T, T, 0.55, T, F, F),
    # IV, IV, then IM: mixed. B = A2-PB at the dose minute (A2-PP at 12:00 is after the
    # dose); E = A2-PE day 56 at 23:30. 19 / 22 = 0.8636; 3 <= 4.
    ("anc-p02:1", "PHQ9"): ("anc-p02", 1, A, "IV", "KETAMINE", T, "TRD", T,
                            "2026-03-09 10:00", 3, 22, 3, T, T, T, 0.8636, T, T, F),
    # MDD. E: A3-E31 (9) and A3-E32 (8) both at 2026-05-11 09:00 (day 35): the larger id
    # wins; A3-W (day 44, total 2) withdrawn. 8 / 16 = 0.5 >= 0.5 exactly.
    ("anc-p03:1", "PHQ9"): ("anc-p03", 1, A, "IV", "KETAMINE", F, "MDD", T,
                            "2026-04-06 09:00", 2, 16, 8, T, T, T, 0.5, T, F, F),
    # 2026-01-05 -> 2026-03-06 is 60 days: one course of 2 sessions. B prorated 14; the
    # day-13 score is before the endpoint window: ITT, not a completer.
    ("anc-p04:1", "PHQ9"): ("anc-p04", 1, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-01-05 10:00", 2, 14, None, T, T, F, None, F, F, F),
    # 2026-01-12 -> 2026-03-14 is 61 days (the cancelled 2026-02-20 session counts nowhere):
    # two courses. E = A5-PE1 v2 (12, day 28). 6 / 18 = 0.3333.
    ("anc-p05:1", "PHQ9"): ("anc-p05", 1, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-01-12 10:00", 1, 18, 12, T, T, T, 0.3333, F, F, F),
    # B = A5-PB2 (9, 09:30 before the 10:00 dose; A5-PE1 is day -33); 9 < 10: not evaluable,
    # so nothing else; change_pct is still (9 - 4) / 9.
    ("anc-p05:2", "PHQ9"): ("anc-p05", 2, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-03-14 10:00", 2, 9, 4, F, F, F, 0.5556, F, F, F),
    # 2026-08-06 -> as_of 2026-09-30 = 55 days < 56: evaluable, not ITT, so not a completer
    # although it has a day-14 endpoint.
    ("anc-p06:1", "PHQ9"): ("anc-p06", 1, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-08-06 10:00", 2, 21, 4, T, F, F, 0.8095, F, F, F),
    # 2026-08-05 -> 2026-09-30 = 56 days: ITT. E = the last in the window, day 42 = 10 (not
    # the prorated 5 on day 28); 5 / 15 = 0.3333.
    ("anc-p07:1", "PHQ9"): ("anc-p07", 1, A, "IV", "KETAMINE", F, "TRD", T,
                            "2026-08-05 10:00", 1, 15, 10, T, T, T, 0.3333, F, F, F),
    # PTSD (v2 of the patient) -> PCL5. 40 >= 33. (40 - 30) / 40 = 0.25 < 0.30, 30 <= 32.
    ("brv-p01:1", "PCL5"): ("brv-p01", 1, B, "IN", "ESKETAMINE", F, "PTSD", T,
                            "2026-02-02 10:00", 2, 40, 30, T, T, T, 0.25, F, T, F),
    # Secondary: GAD-7 baseline 12 (day -1), endpoint 5 (day 30). 7 / 12 = 0.5833 >= 0.5;
    # 5 > 4.
    ("brv-p01:1", "GAD7"): ("brv-p01", 1, B, "IN", "ESKETAMINE", F, "PTSD", F,
                            "2026-02-02 10:00", 2, 12, 5, T, T, T, 0.5833, T, F, F),
    # CHRONIC_PAIN -> PAIN_NRS. Dose 2026-03-02 23:00; E 2026-03-16 00:30 is calendar day 14
    # (in), 2026-04-28 00:15 is day 57 (out). 3 / 8 = 0.375 >= 0.30; 5 > 3.
    ("brv-p02:1", "PAIN_NRS"): ("brv-p02", 1, B, "IM", "KETAMINE", F, "CHRONIC_PAIN", T,
                                "2026-03-02 23:00", 2, 8, 5, T, T, T, 0.375, T, F, F),
    # 4 sessions (S1 terminated early still counts). 14 -> 20: +6 >= 5, deteriorated.
    ("brv-p03:1", "PHQ9"): ("brv-p03", 1, B, "IN", "ESKETAMINE", F, "TRD", T,
                            "2026-03-02 10:00", 4, 14, 20, T, T, T, -0.4286, F, F, T),
    # No baseline: 2026-01-10 is day -31, the day-0 administration is not scorable.
    ("brv-p04:1", "PHQ9"): ("brv-p04", 1, B, "IN", "ESKETAMINE", F, "TRD", T,
                            "2026-02-10 10:00", 1, None, 8, F, F, F, None, F, F, F),
    # E on day 56 (2026-05-27). 8 / 12 = 0.6667; 4 <= 4.
    ("brv-p05:1", "PHQ9"): ("brv-p05", 1, B, "IN", "ESKETAMINE", F, "MDD", T,
                            "2026-04-01 10:00", 2, 12, 4, T, T, T, 0.6667, T, T, F),
}

COURSE_COLUMNS = ("patient_key", "course_number", "site_id", "route", "drug", "mixed_route",
                  "indication", "is_primary", "course_start", "n_sessions", "baseline_score",
                  "endpoint_score", "evaluable", "itt_eligible", "completer", "change_pct",
                  "responded", "remitted", "deteriorated")


def test_course_outcomes(con):
    got = {}
    for r in rows(con, "select * from marts.course_outcomes"):
        values = [r[c] for c in COURSE_COLUMNS]
        values[COURSE_COLUMNS.index("change_pct")] = r4(r["change_pct"])
        got[r["course_id"], r["instrument"]] = tuple(values)
    expected = {}
    for key, v in COURSE_OUTCOMES.items():
        values = list(v)
        values[COURSE_COLUMNS.index("course_start")] = ts(v[COURSE_COLUMNS.index("course_start")])
        expected[key] = tuple(values)
    assert set(got) == set(expected)
    for key in expected:
        assert dict(zip(COURSE_COLUMNS, got[key], strict=True)) == dict(
            zip(COURSE_COLUMNS, expected[key], strict=True)), key


# --------------------------------------------------------------------------- outcome_rates

# ITT courses (primary, itt_eligible) and what each holds, from the table in the docstring:
#   ANC-01 IV TRD: p01 (C R), p02 (C R M), p04 (-), p05:1 (C), p07 (C)
#   ANC-01 IV MDD: p03 (C R)
#   BRV-02 IN PTSD: p01 (C M); IM CHRONIC_PAIN: p02 (C R); IN TRD: p03 (C D); IN MDD: p05 (C R M)
# group (site, route, indication) -> (ITT, completers, responders, remitters, deteriorated)
OUTCOME_GROUPS = {
    ("ALL", "ALL", "ALL"): (10, 9, 5, 3, 1),
    ("ALL", "ALL", "TRD"): (6, 5, 2, 1, 1),  # a01 a02 a04 a05:1 a07 + b03
    ("ALL", "ALL", "MDD"): (2, 2, 2, 1, 0),  # a03, b05
    ("ALL", "ALL", "PTSD"): (1, 1, 0, 1, 0),
    ("ALL", "ALL", "CHRONIC_PAIN"): (1, 1, 1, 0, 0),
    ("ALL", "IV", "ALL"): (6, 5, 3, 1, 0),
    ("ALL", "IN", "ALL"): (3, 3, 1, 2, 1),  # b01 b03 b05
    ("ALL", "IM", "ALL"): (1, 1, 1, 0, 0),  # b02 (a02's IM session does not make an IM course)
    ("ALL", "IV", "TRD"): (5, 4, 2, 1, 0),
    ("ALL", "IV", "MDD"): (1, 1, 1, 0, 0),
    ("ALL", "IN", "TRD"): (1, 1, 0, 0, 1),
    ("ALL", "IN", "MDD"): (1, 1, 1, 1, 0),
    ("ALL", "IN", "PTSD"): (1, 1, 0, 1, 0),
    ("ALL", "IM", "CHRONIC_PAIN"): (1, 1, 1, 0, 0),
    (A, "ALL", "ALL"): (6, 5, 3, 1, 0),
    (A, "IV", "ALL"): (6, 5, 3, 1, 0),
    (A, "ALL", "TRD"): (5, 4, 2, 1, 0),
    (A, "IV", "TRD"): (5, 4, 2, 1, 0),
    (A, "ALL", "MDD"): (1, 1, 1, 0, 0),
    (A, "IV", "MDD"): (1, 1, 1, 0, 0),
    (B, "ALL", "ALL"): (4, 4, 2, 2, 1),
    (B, "IN", "ALL"): (3, 3, 1, 2, 1),
    (B, "IM", "ALL"): (1, 1, 1, 0, 0),
    (B, "ALL", "TRD"): (1, 1, 0, 0, 1),
    (B, "IN", "TRD"): (1, 1, 0, 0, 1),
    (B, "ALL", "MDD"): (1, 1, 1, 1, 0),
    (B, "IN", "MDD"): (1, 1, 1, 1, 0),
    (B, "ALL", "PTSD"): (1, 1, 0, 1, 0),
    (B, "IN", "PTSD"): (1, 1, 0, 1, 0),
    (B, "ALL", "CHRONIC_PAIN"): (1, 1, 1, 0, 0),
    (B, "IM", "CHRONIC_PAIN"): (1, 1, 1, 0, 0),
}

# The ANC-01 rows and the network rows with their rates written out by hand:
# (site, route, indication, denominator) -> (n_courses, n_responders, response_rate,
#   n_remitters, remission_rate, follow_up_rate)
OUTCOME_RATES_BY_HAND = {
    ("ALL", "ALL", "ALL", "ITT"): (10, 5, 0.5, 3, 0.3, 0.9),
    ("ALL", "ALL", "ALL", "COMPLETER"): (9, 5, 0.5556, 3, 0.3333, 0.9),
    (A, "ALL", "ALL", "ITT"): (6, 3, 0.5, 1, 0.1667, 0.8333),
    (A, "ALL", "ALL", "COMPLETER"): (5, 3, 0.6, 1, 0.2, 0.8333),
    (A, "IV", "ALL", "ITT"): (6, 3, 0.5, 1, 0.1667, 0.8333),
    (A, "IV", "ALL", "COMPLETER"): (5, 3, 0.6, 1, 0.2, 0.8333),
    (A, "ALL", "TRD", "ITT"): (5, 2, 0.4, 1, 0.2, 0.8),
    (A, "ALL", "TRD", "COMPLETER"): (4, 2, 0.5, 1, 0.25, 0.8),
    (A, "IV", "TRD", "ITT"): (5, 2, 0.4, 1, 0.2, 0.8),
    (A, "IV", "TRD", "COMPLETER"): (4, 2, 0.5, 1, 0.25, 0.8),
    (A, "ALL", "MDD", "ITT"): (1, 1, 1.0, 0, 0.0, 1.0),
    (A, "ALL", "MDD", "COMPLETER"): (1, 1, 1.0, 0, 0.0, 1.0),
    (A, "IV", "MDD", "ITT"): (1, 1, 1.0, 0, 0.0, 1.0),
    (A, "IV", "MDD", "COMPLETER"): (1, 1, 1.0, 0, 0.0, 1.0),
}


@pytest.fixture(scope="module")
def outcome_rates(con):
    return {
        (r["site_id"], r["route"], r["indication"], r["denominator"]): r
        for r in rows(con, "select * from marts.outcome_rates")
    }


def test_outcome_rates_groups(outcome_rates):
    # 31 groups, each under ITT and COMPLETER.
    assert len(outcome_rates) == 62
    assert set(outcome_rates) == {
        (*group, denominator) for group in OUTCOME_GROUPS for denominator in ("ITT", "COMPLETER")
    }


def test_outcome_rates_written_out_by_hand(outcome_rates):
    for key, (n, responders, response, remitters, remission, follow_up) in (
            OUTCOME_RATES_BY_HAND.items()):
        row = outcome_rates[key]
        assert (row["n_courses"], row["n_responders"], r4(row["response_rate"]),
                row["n_remitters"], r4(row["remission_rate"]), r4(row["follow_up_rate"])) == (
            n, responders, response, remitters, remission, follow_up), key


def test_outcome_rates_every_group(outcome_rates):
    for group, (itt, completers, responders, remitters, deteriorated) in OUTCOME_GROUPS.items():
        for denominator, n in (("ITT", itt), ("COMPLETER", completers)):
            row = outcome_rates[(*group, denominator)]
            key = (*group, denominator)
            assert (row["n_courses"], row["n_responders"], row["n_remitters"],
                    row["n_deteriorated"]) == (n, responders, remitters, deteriorated), key
            assert (row["n_itt_courses"], row["n_completer_courses"]) == (itt, completers), key
            assert r4(row["response_rate"]) == r4(responders / n), key
            assert r4(row["remission_rate"]) == r4(remitters / n), key
            low, high = wilson(responders, n)
            assert (r4(row["response_ci_low"]), r4(row["response_ci_high"])) == (
                r4(low), r4(high)), key
            low, high = wilson(remitters, n)
            assert (r4(row["remission_ci_low"]), r4(row["remission_ci_high"])) == (
                r4(low), r4(high)), key


def test_network_wilson_intervals_by_hand(outcome_rates):
    # Worked from the spec's formula with z = 1.959964 (z^2 = 3.841454):
    # 5/10: centre = (0.5 + 0.192073) / 1.384145 = 0.5, half = z * sqrt(0.025 + 0.009604)
    #       / 1.384145 = 0.263408 -> 0.2366 .. 0.7634
    # 3/10: 0.1078 .. 0.6032; 5/9: 0.2667 .. 0.8112; 3/9: 0.1206 .. 0.6458; 9/10 0.5958 .. 0.9821
    itt = outcome_rates["ALL", "ALL", "ALL", "ITT"]
    completer = outcome_rates["ALL", "ALL", "ALL", "COMPLETER"]
    assert [r4(itt[c]) for c in ("response_ci_low", "response_ci_high", "remission_ci_low",
                                 "remission_ci_high", "follow_up_ci_low", "follow_up_ci_high")] \
        == [0.2366, 0.7634, 0.1078, 0.6032, 0.5958, 0.9821]
    assert [r4(completer[c]) for c in ("response_ci_low", "response_ci_high",
                                       "remission_ci_low", "remission_ci_high")] \
        == [0.2667, 0.8112, 0.1206, 0.6458]
    assert (itt["n_deteriorated"], r4(itt["deterioration_rate"])) == (1, 0.1)
    # 'ALL' indication pools instruments and says which.
    assert itt["primary_instruments"] == "PAIN_NRS,PCL5,PHQ9"
    assert outcome_rates[B, "IN", "PTSD", "ITT"]["primary_instruments"] == "PCL5"


# --------------------------------------------------------------------------- side_effect_rates

EFFECTS = ("NAUSEA", "VOMITING", "DIZZINESS", "HEADACHE", "DISSOCIATION", "SEDATION", "ANXIETY",
           "HYPERTENSION", "TACHYCARDIA", "RESPIRATORY_DEPRESSION", "BLURRED_VISION",
           "CONFUSION", "OTHER", "ANY", "BP_EXCURSION", "TERMINATED_EARLY")

# Countable sessions, with what each shows (a cancelled, a withdrawn, a quarantined and an
# orphan session are not among them):
#  ANC-01 (15): A1-S1 IV DISSOCIATION NAUSEA ANY | A1-S2 IV DISSOCIATION ANY |
#    A2-S1 IV HEADACHE ANY | A2-S2 IV - | A2-S3 IM DIZZINESS ANY BP (dbp_peak 110, dbp_pre
#    missing) | A3-S1 IV - | A3-S2 IV ANXIETY ANY TERMINATED_EARLY | A4-S1, A4-S2, A5-S1,
#    A5-S2 IV - | A5-S3 IV NAUSEA ANY | A6-S1, A6-S2, A7-S1 IV -
#    (A1-S3 VOMITING + BP 200/120 withdrawn; A5-X NAUSEA + sbp 200 cancelled)
#  BRV-02 (11): B1-S1 IN DIZZINESS ANY | B1-S2 IN DISSOCIATION DIZZINESS ANY | B2-S1 IM - |
#    B2-S2 IM SEDATION ANY | B3-S1 IN SEDATION ANXIETY ANY TERMINATED_EARLY BP (sbp +42) |
#    B3-S2 IN - (sbp_pre missing; dbp +24; peaks 175/104) | B3-S3 IN - (+29, +24, 179/109) |
#    B3-S4 IN BP (sbp_peak 180) | B4-S1 IN BP (dbp +25) | B5-S1 IN - | B5-S2 IN NAUSEA ANY
# Courses by their first session: ANC-01 IV x8 (a01 a02 a03 a04 a05:1 a05:2 a06 a07);
# BRV-02 IN x4 (b01 b03 b04 b05), IM x1 (b02).
#
# (site, route) -> (n_sessions, n_courses, {effect: (sessions with it, courses with it)});
# every effect not named is (0, 0).
SIDE_EFFECT_GROUPS = {
    (A, "ALL"): (15, 8, {
        "NAUSEA": (2, 2),  # A1-S1, A5-S3; a01, a05:2
        "DIZZINESS": (1, 1),  # A2-S3; a02
        "HEADACHE": (1, 1),  # A2-S1; a02
        "DISSOCIATION": (2, 1),  # A1-S1, A1-S2; a01
        "ANXIETY": (1, 1),  # A3-S2; a03
        "ANY": (6, 4),  # A1-S1 A1-S2 A2-S1 A2-S3 A3-S2 A5-S3; a01 a02 a03 a05:2
        "BP_EXCURSION": (1, 1),  # A2-S3; a02
        "TERMINATED_EARLY": (1, 1),  # A3-S2; a03
    }),
    # a02's IM session is a session in IV/IM groups by its own route, but its course is IV:
    # the course counts stay whole in ANC-01/IV.
    (A, "IV"): (14, 8, {
        "NAUSEA": (2, 2), "DIZZINESS": (0, 1), "HEADACHE": (1, 1), "DISSOCIATION": (2, 1),
        "ANXIETY": (1, 1), "ANY": (5, 4), "BP_EXCURSION": (0, 1), "TERMINATED_EARLY": (1, 1),
    }),
    (A, "IM"): (1, 0, {"DIZZINESS": (1, 0), "ANY": (1, 0), "BP_EXCURSION": (1, 0)}),
    ("ALL", "ALL"): (26, 13, {
        "NAUSEA": (3, 3),  # + B5-S2; + b05
        "DIZZINESS": (3, 2),  # + B1-S1, B1-S2; + b01
        "HEADACHE": (1, 1),
        "DISSOCIATION": (3, 2),  # + B1-S2; + b01
        "SEDATION": (2, 2),  # B2-S2, B3-S1; b02, b03
        "ANXIETY": (2, 2),  # + B3-S1; + b03
        "ANY": (11, 8),  # + B1-S1 B1-S2 B2-S2 B3-S1 B5-S2; + b01 b02 b03 b05
        "BP_EXCURSION": (4, 3),  # + B3-S1 B3-S4 B4-S1; + b03 b04
        "TERMINATED_EARLY": (2, 2),  # + B3-S1; + b03
    }),
}
SIDE_EFFECT_GROUP_KEYS = {("ALL", "ALL"), (A, "ALL"), (B, "ALL"), ("ALL", "IV"), ("ALL", "IN"),
                          ("ALL", "IM"), (A, "IV"), (A, "IM"), (B, "IN"), (B, "IM")}


@pytest.fixture(scope="module")
def side_effect_rates(con):
    return {
        (r["site_id"], r["route"], r["effect"]): r
        for r in rows(con, "select * from marts.side_effect_rates")
    }


def test_side_effect_rates_every_effect_in_every_group(side_effect_rates):
    assert len(side_effect_rates) == len(SIDE_EFFECT_GROUP_KEYS) * len(EFFECTS) == 160
    assert set(side_effect_rates) == {
        (*group, effect) for group in SIDE_EFFECT_GROUP_KEYS for effect in EFFECTS
    }


def test_side_effect_rates_anc01_and_network(side_effect_rates):
    for (site, route), (n_sessions, n_courses, shown) in SIDE_EFFECT_GROUPS.items():
        for effect in EFFECTS:
            with_effect, courses_with_effect = shown.get(effect, (0, 0))
            row = side_effect_rates[site, route, effect]
            key = (site, route, effect)
            assert (row["n_sessions"], row["n_sessions_with_effect"], row["n_courses"],
                    row["n_courses_with_effect"]) == (
                n_sessions, with_effect, n_courses, courses_with_effect), key
            assert r4(row["session_rate"]) == r4(with_effect / n_sessions), key
            low, high = wilson(with_effect, n_sessions)
            assert (r4(row["session_ci_low"]), r4(row["session_ci_high"])) == (
                r4(low), r4(high)), key
            course_rate = courses_with_effect / n_courses if n_courses else None
            assert r4(row["course_rate"]) == r4(course_rate), key


def test_side_effect_rates_by_hand(side_effect_rates):
    anything = side_effect_rates["ALL", "ALL", "ANY"]
    # 11 / 26 = 0.4231, Wilson 0.2554 .. 0.6105; courses 8 / 13 = 0.6154
    assert (r4(anything["session_rate"]), r4(anything["session_ci_low"]),
            r4(anything["session_ci_high"]), r4(anything["course_rate"])) == (
        0.4231, 0.2554, 0.6105, 0.6154)
    vomiting = side_effect_rates[A, "ALL", "VOMITING"]  # only in the withdrawn A1-S3
    # 0 / 15: rate 0, Wilson 0 .. z^2/(15 + z^2) = 3.841454 / 18.841454 = 0.2039
    assert (vomiting["session_rate"], r4(vomiting["session_ci_low"]),
            r4(vomiting["session_ci_high"])) == (0.0, 0.0, 0.2039)
    im = side_effect_rates[A, "IM", "ANY"]  # a session group with no course in it
    assert (im["n_courses"], im["course_rate"]) == (0, None)


# --------------------------------------------------------------------------- adverse_event_rates

# Current events of known patients: AE-1 (ANC-01, IV via A1-S1, HYPERTENSION, MODERATE, not
# serious), AE-2 (BRV-02, IN via B3-S1, SEDATION, SEVERE, serious), AE-3 (ANC-01, no
# session: route ALL only, PSYCHIATRIC_WORSENING, MILD), AE-4 (ANC-01, after the cancelled
# A5-X, whose route is IV: NAUSEA_VOMITING, MILD). AE-5 is the orphan's.
# (site, route, category, severity, seriousness) -> (n_events, n_sessions, per 1,000)
ADVERSE_EVENT_RATES = {
    ("ALL", "ALL", "ALL", "ALL", "ALL"): (4, 26, 153.8462),
    ("ALL", "ALL", "ALL", "ALL", "SERIOUS"): (1, 26, 38.4615),
    ("ALL", "ALL", "ALL", "ALL", "NOT_SERIOUS"): (3, 26, 115.3846),
    ("ALL", "ALL", "ALL", "MILD", "ALL"): (2, 26, 76.9231),
    (A, "ALL", "ALL", "ALL", "ALL"): (3, 15, 200.0),
    (A, "IV", "ALL", "ALL", "ALL"): (2, 14, 142.8571),  # AE-1, AE-4 (not AE-3: no route)
    (A, "IM", "ALL", "ALL", "ALL"): (0, 1, 0.0),
    (A, "ALL", "PSYCHIATRIC_WORSENING", "MILD", "NOT_SERIOUS"): (1, 15, 66.6667),
    (A, "IV", "PSYCHIATRIC_WORSENING", "ALL", "ALL"): (0, 14, 0.0),
    (B, "IN", "SEDATION", "SEVERE", "SERIOUS"): (1, 9, 111.1111),
    (B, "IN", "MISUSE", "ALL", "ALL"): (0, 9, 0.0),
    ("ALL", "IM", "ALL", "ALL", "ALL"): (0, 3, 0.0),  # A2-S3, B2-S1, B2-S2
    ("ALL", "ALL", "OTHER", "ALL", "ALL"): (0, 26, 0.0),  # AE-5 is an orphan
}


def test_adverse_event_rates(con):
    got = {
        (r["site_id"], r["route"], r["category"], r["severity"], r["seriousness"]): r
        for r in rows(con, "select * from marts.adverse_event_rates")
    }
    # 10 site x route groups x (11 categories + ALL) x (3 severities + ALL) x 3 seriousness.
    assert len(got) == 10 * 12 * 4 * 3
    for key, (n_events, n_sessions, per_1000) in ADVERSE_EVENT_RATES.items():
        row = got[key]
        assert (row["n_events"], row["n_sessions"], r4(row["events_per_1000_sessions"])) == (
            n_events, n_sessions, per_1000), key


# --------------------------------------------------------------------------- course_trajectories

# course -> {week: (score, change_from_baseline)}: week 0 the baseline, week k >= 1 the last
# score after the dose on days 7k-6..7k (day 0 after the dose in week 1), until the next course.
COURSE_TRAJECTORIES = {
    "anc-p01:1": {0: (20, 0), 2: (9, -11), 9: (3, -17)},  # day 14; day 57 -> week 9
    "anc-p02:1": {0: (22, 0), 1: (5, -17), 8: (3, -19)},  # 12:00 on day 0 -> week 1; day 56
    "anc-p03:1": {0: (16, 0), 5: (8, -8)},  # day 35, the tie's larger id; A3-W withdrawn
    "anc-p04:1": {0: (14, 0), 2: (6, -8)},  # day 13 -> week 2
    # course 1 is followed until 2026-03-14 10:00: A5-PB2 at 09:30 (day 61) is its week 9
    "anc-p05:1": {0: (18, 0), 4: (12, -6), 9: (9, -9)},
    "anc-p05:2": {0: (9, 0), 5: (4, -5)},  # day 30
    "anc-p06:1": {0: (21, 0), 2: (4, -17)},
    "anc-p07:1": {0: (15, 0), 4: (5, -10), 6: (10, -5)},  # days 28 and 42
    "brv-p01:1": {0: (40, 0), 5: (30, -10)},  # PCL5, day 30
    "brv-p02:1": {0: (8, 0), 2: (5, -3), 9: (2, -6)},  # PAIN_NRS, days 14 and 57
    "brv-p03:1": {0: (14, 0), 6: (20, 6)},
    "brv-p04:1": {4: (8, None)},  # no baseline: no week 0, no change
    "brv-p05:1": {0: (12, 0), 8: (4, -8)},  # day 56
}


def test_course_trajectories(con):
    got: dict[str, dict[int, tuple]] = {}
    for r in rows(con, "select * from marts.course_trajectories"):
        got.setdefault(r["course_id"], {})[r["week"]] = (r["score"], r["change_from_baseline"])
    assert got == COURSE_TRAJECTORIES
    tie = rows(con, "select * from marts.course_trajectories "
                    "where course_id = 'anc-p03:1' and week = 5")
    assert (tie[0]["assessment_id"], tie[0]["n_administrations_in_week"]) == ("A3-E32", 2)
