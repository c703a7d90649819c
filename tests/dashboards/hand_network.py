"""A small network whose every dashboard number is worked out by hand.

as_of_date 2026-06-30. Two sites:

ANC-01: 40 patients, one IV ketamine course each for TRD (PHQ9), course i
(0..39) starting in January (i 0-11, 12 courses), February (12-16, 5),
March (17-27, 11) or April (28-39, 12), so all 40 are ITT-eligible
(started >= 56 days before as_of). Baseline 20 for all; endpoint 4 for
i < 5 (responded and remitted), 8 for 5 <= i < 16 (responded: 60% drop),
15 for 16 <= i < 28 (25%: neither), none from 28.
    ITT 40, completers 28, responders 16, remitters 5.
    Response ITT 16/40 = 40%, Wilson 26.35%-55.40%; remission 5/40: a count
    of 5, suppressed; follow-up 28/40 = 70%, 54.57%-81.93%.
    COMPLETER: response 16/28 = 57%, 39.07%-73.49%; remission 5/28 suppressed.
    January only: ITT 12, responders 12: 100%, 75.75%-100%.
    Change from baseline (completers): 80% bin 5 courses, 60% bin 11, 20% bin 12.
    Courses by month: 12, 5, 11, 12 (and BRV-02's 1 in June).
    Five sessions per course (200): sessions k < 30 list NAUSEA (30/200 = 15%,
    10.71%-20.61%; in 6 courses), 30 <= k < 42 are BP excursions (12/200 = 6%,
    3.47%-10.19%; in 3 courses), 42 <= k < 45 terminated early (3: suppressed).
    Adverse events: 12 HYPERTENSION MODERATE (sessions 30-41: 3 patients) and
    2 SEDATION SEVERE serious ones (sessions 0, 1): 14 events, 70.0 per 1,000.

BRV-02: one patient (pat-b01), an IN esketamine course started 2026-06-10,
baseline 18, no endpoint, 20 days observed: evaluable, not ITT-eligible.
One session, no effects.

Safety flags: 12 PHQ9_ITEM9 level 1 in January (ANC-01), one PHQ9_ITEM9 level 3
on 2026-05-31 (outside the last 30 days, inside 90), and 5 on 2026-06-01 ..
2026-06-29 (PHQ9_ITEM9 1, 1, 2 and CSSRS HIGH at ANC-01; CSSRS LOW at
BRV-02 on 2026-06-29, the newest). Last 30 days: 5 flags, a suppressed count.

Files: sessions (205 read, 200 loaded, 5 quarantined OUT_OF_RANGE), patients
(41 read and loaded), notes.txt (REJECTED_UNKNOWN_ENTITY).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from tests.dashboards.fixture_snapshot import Network

A, B = "ANC-01", "BRV-02"
AS_OF = date(2026, 6, 30)
MONTH_OF_COURSE = [1] * 12 + [2] * 5 + [3] * 11 + [4] * 12


def _endpoint(i: int) -> int | None:
    if i < 5:
        return 4
    if i < 16:
        return 8
    if i < 28:
        return 15
    return None


def _courses() -> pd.DataFrame:
    rows = []
    for i, month in enumerate(MONTH_OF_COURSE):
        start = datetime(2026, month, 5 + i % 12, 10, 0)
        rows.append(dict(
            course_id=f"pat-a{i:02d}:1", patient_key=f"pat-a{i:02d}", course_number=1,
            site_id=A, route="IV", drug="KETAMINE", indication="TRD", instrument="PHQ9",
            course_start=start, last_session_at=start + timedelta(days=8), n_sessions=5,
            n_sessions_terminated_early=0, baseline_score=20, endpoint_score=_endpoint(i),
            baseline_day=0, endpoint_day=42 if _endpoint(i) is not None else None,
        ))
    start = datetime(2026, 6, 10, 10, 0)
    rows.append(dict(
        course_id="pat-b01:1", patient_key="pat-b01", course_number=1, site_id=B, route="IN",
        drug="ESKETAMINE", indication="TRD", instrument="PHQ9", course_start=start,
        last_session_at=start, n_sessions=1, n_sessions_terminated_early=0, baseline_score=18,
        endpoint_score=None, baseline_day=0, endpoint_day=None,
    ))
    frame = pd.DataFrame(rows)
    return frame.astype({"endpoint_score": "Int64", "endpoint_day": "Int64"})


def _trajectory_scores(courses: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for course in courses.itertuples():
        rows.append(dict(course_id=course.course_id, week=0, score=course.baseline_score))
        if not pd.isna(course.endpoint_score):
            rows.append(dict(course_id=course.course_id, week=6, score=int(course.endpoint_score)))
    return pd.DataFrame(rows)


def _sessions(courses: pd.DataFrame) -> pd.DataFrame:
    rows = []
    site_a = courses[courses["site_id"] == A]
    for c, course in enumerate(site_a.itertuples()):
        for j in range(5):
            k = 5 * c + j
            rows.append(dict(
                session_id=f"S-{k:03d}", patient_key=course.patient_key,
                course_id=course.course_id, site_id=A, route="IV", drug="KETAMINE",
                started_at=course.course_start + timedelta(days=2 * j),
                status="TERMINATED_EARLY" if 42 <= k < 45 else "COMPLETED",
                dose_mg=40.0, weight_kg=80.0, cadss=10 + k % 20,
                side_effects="NAUSEA" if k < 30 else None, bp_excursion=30 <= k < 42,
            ))
    rows.append(dict(
        session_id="S-B01", patient_key="pat-b01", course_id="pat-b01:1", site_id=B, route="IN",
        drug="ESKETAMINE", started_at=datetime(2026, 6, 10, 10, 0), status="COMPLETED",
        dose_mg=56.0, weight_kg=70.0, cadss=20, side_effects=None, bp_excursion=False,
    ))
    return pd.DataFrame(rows)


def _patient_of_session(sessions: pd.DataFrame, k: int) -> str:
    return sessions.loc[sessions["session_id"] == f"S-{k:03d}", "patient_key"].iloc[0]


def _adverse_events(sessions: pd.DataFrame) -> pd.DataFrame:
    rows = [dict(event_id=f"E-H{k}", patient_key=_patient_of_session(sessions, k), site_id=A,
                 session_id=f"S-{k:03d}", category="HYPERTENSION", severity="MODERATE",
                 serious=False) for k in range(30, 42)]
    rows += [dict(event_id=f"E-S{k}", patient_key=_patient_of_session(sessions, k), site_id=A,
                  session_id=f"S-{k:03d}", category="SEDATION", severity="SEVERE", serious=True)
             for k in (0, 1)]
    return pd.DataFrame(rows)


def _flag(patient: str, site: str, at: datetime, reason: str, level: str, rank: int) -> dict:
    instrument = "PHQ9" if reason == "PHQ9_ITEM9" else "CSSRS_SCREEN"
    return dict(assessment_id=f"Q-{patient}-{at:%m%d}", patient_key=patient, site_id=site,
                administered_at=at, instrument=instrument, reason=reason, level=level,
                level_rank=rank)


def _safety_flags() -> pd.DataFrame:
    rows = [_flag(f"pat-a{i:02d}", A, datetime(2026, 1, 5 + i, 9, 0), "PHQ9_ITEM9", "1", 1)
            for i in range(12)]
    rows += [
        _flag("pat-a17", A, datetime(2026, 5, 31, 9, 0), "PHQ9_ITEM9", "3", 3),
        _flag("pat-a13", A, datetime(2026, 6, 1, 9, 0), "PHQ9_ITEM9", "1", 1),
        _flag("pat-a14", A, datetime(2026, 6, 5, 9, 0), "PHQ9_ITEM9", "1", 1),
        _flag("pat-a15", A, datetime(2026, 6, 10, 9, 0), "PHQ9_ITEM9", "2", 2),
        _flag("pat-a16", A, datetime(2026, 6, 20, 9, 0), "CSSRS", "HIGH", 3),
        _flag("pat-b01", B, datetime(2026, 6, 29, 9, 0), "CSSRS", "LOW", 1),
    ]
    return pd.DataFrame(rows)


LOADED_AT = datetime(2026, 6, 30, 7, 0)
SESSIONS_SHA = "a" * 64


def _ops() -> dict:
    manifest = [
        dict(file_sha256=SESSIONS_SHA, file_name="sessions_ANC-01.csv", entity="sessions",
             status="LOADED", rows_read=205, rows_loaded=200, rows_quarantined=5,
             loaded_at=LOADED_AT),
        dict(file_sha256="b" * 64, file_name="patients_ANC-01.csv", entity="patients",
             status="LOADED", rows_read=41, rows_loaded=41, rows_quarantined=0,
             loaded_at=LOADED_AT),
        dict(file_sha256="c" * 64, file_name="notes.txt", status="REJECTED_UNKNOWN_ENTITY",
             rows_read=0, rows_loaded=0, rows_quarantined=0, reason="unknown entity",
             loaded_at=LOADED_AT),
    ]
    quarantine = [
        dict(file_sha256=SESSIONS_SHA, entity="sessions", row_number=200 + r,
             record_key=f"S-Q{r}", reason="OUT_OF_RANGE", reason_column="dose_mg",
             row_json={"site_id": A, "dose_mg": "5000"}, quarantined_at=LOADED_AT)
        for r in range(1, 6)
    ]
    gx_results = [
        dict(run_id="run-fixture", suite_name="sessions", batch=SESSIONS_SHA, success=False,
             evaluated=20, failed=1,
             failures=["expect_column_values_to_be_between(dose_mg): 5 unexpected of 205 rows"],
             validated_at=LOADED_AT),
        dict(run_id="run-fixture", suite_name="patients", batch="b" * 64, success=True,
             evaluated=12, failed=0, failures=[], validated_at=LOADED_AT),
    ]
    dbt_test_results = [
        dict(run_id="run-fixture", unique_id=f"test.ketreg.{name}", test_name=name,
             status=status, failures=failures, message=message, executed_at=LOADED_AT)
        for name, status, failures, message in [
            ("unique_course_outcomes_course_id", "pass", 0, None),
            ("not_null_safety_flags_site_id", "pass", 0, None),
            ("accepted_range_course_outcomes_change_pct", "fail", 3,
             "Got 3 results, configured to fail if != 0"),
        ]
    ]
    # An earlier run built the definitions (seeds); the last run left them out.
    dbt_test_results += [
        dict(run_id="run-definitions", unique_id=f"test.ketreg.{name}", test_name=name,
             status="pass", failures=0, message=None, executed_at=LOADED_AT - timedelta(days=1))
        for name in ("unique_instrument_catalog_instrument", "unique_course_outcomes_course_id")
    ]
    dbt_definitions_builds = [
        dict(run_id="run-definitions", project_fingerprint="f" * 64,
             built_at=LOADED_AT - timedelta(days=1)),
    ]
    return dict(manifest=manifest, quarantine=quarantine, gx_results=gx_results,
                dbt_test_results=dbt_test_results,
                dbt_definitions_builds=dbt_definitions_builds)


def hand_network() -> Network:
    courses = _courses()
    sessions = _sessions(courses)
    return Network(
        as_of_date=AS_OF, courses=courses, trajectory_scores=_trajectory_scores(courses),
        sessions=sessions, safety_flags=_safety_flags(), adverse_events=_adverse_events(sessions),
        **_ops(),
    )


def empty_network() -> Network:
    """Every table present, no row in any: a pipeline that has run on an empty inbox."""
    return Network(as_of_date=None)
