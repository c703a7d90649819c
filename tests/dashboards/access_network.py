"""A three-clinic network with values planted at each site, for the access tests.

Built on synthetic_network (sites renamed KC-01, KC-02 and a tiny KC-03 of three
patients), every patient key carries its site (`pat-KC02-...`), and each site
gets a group no other site has, so that a leak would show a value only that
site can have:

- KC-01 (site A): 4 ITT courses by IN route for OCD (the generator never gives
  esketamine outside depression), all responders; a flag for `pat-KC01-PLANTED`.
- KC-02 (site B): 7 ITT courses by IN route for PTSD, all responders; a flag for
  `pat-KC02-PLANTED` in the last 30 days.
- KC-03 (site C): the generator's tiny site, every count of it small.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from tests.dashboards.fixture_snapshot import Network
from tests.dashboards.synthetic_network import synthetic_network

SITE_A, SITE_B, SITE_C = "KC-01", "KC-02", "KC-03"
SITES = (SITE_A, SITE_B, SITE_C)
RENAME = {"CL01-A": SITE_A, "CL02-B": SITE_B, "CL03-C": SITE_C}
PASSWORD = "correct horse battery staple"
# user -> role
USERS = {"alice": f"site:{SITE_A}", "bob": f"site:{SITE_B}", "nora": "network"}
PLANTED = {SITE_A: ("OCD", "YBOCS", 4, 30, 10), SITE_B: ("PTSD", "PCL5", 7, 55, 20)}


def key_prefix(site: str) -> str:
    return f"pat-{site.replace('-', '')}-"


def _rekey(frame: pd.DataFrame, site_of_patient: dict[str, str]) -> pd.DataFrame:
    frame = frame.copy()
    if "site_id" in frame:
        frame["site_id"] = frame["site_id"].map(lambda s: RENAME.get(s, s))
    for column in ("patient_key", "course_id"):
        if column in frame:
            frame[column] = frame[column].map(
                lambda value: value if not isinstance(value, str) else
                value.replace("pat-", key_prefix(site_of_patient[value.split(":")[0]]), 1))
    return frame


def _planted(site: str, start: datetime) -> tuple[list[dict], list[dict], list[dict]]:
    indication, instrument, count, baseline, endpoint = PLANTED[site]
    courses, sessions, scores = [], [], []
    for i in range(count):
        patient = f"{key_prefix(site)}PLANTED{i:02d}"
        course_start = start + timedelta(days=i)
        course_id = f"{patient}:1"
        courses.append(dict(
            course_id=course_id, patient_key=patient, course_number=1, site_id=site,
            route="IN", drug="ESKETAMINE", indication=indication, instrument=instrument,
            course_start=course_start, last_session_at=course_start, n_sessions=1,
            n_sessions_terminated_early=0, baseline_score=baseline, endpoint_score=endpoint,
            baseline_day=0, endpoint_day=28))
        sessions.append(dict(
            session_id=f"S-{patient}", patient_key=patient, course_id=course_id, site_id=site,
            route="IN", drug="ESKETAMINE", started_at=course_start, status="COMPLETED",
            dose_mg=56.0, weight_kg=70.0, cadss=12, side_effects=None, bp_excursion=False))
        scores += [dict(course_id=course_id, week=0, score=baseline),
                   dict(course_id=course_id, week=4, score=endpoint)]
    return courses, sessions, scores


def access_network(grown: int = 0) -> Network:
    """`grown`: that many more ITT courses at site A (IV, TRD), for a second snapshot."""
    base = synthetic_network(900, sites=3, seed=21)
    site_of_patient = {}
    for row in base.courses.itertuples():
        site_of_patient[row.patient_key] = RENAME[row.site_id]
    courses = _rekey(base.courses, site_of_patient)
    sessions = _rekey(base.sessions, site_of_patient)
    flags = _rekey(base.safety_flags, site_of_patient)
    events = _rekey(base.adverse_events, site_of_patient)
    trajectory = _rekey(base.trajectory_scores.rename(columns={}), site_of_patient)
    extra_courses, extra_sessions, extra_scores = [], [], []
    for site in PLANTED:
        c, s, t = _planted(site, datetime(2025, 11, 3, 9, 0))
        extra_courses += c
        extra_sessions += s
        extra_scores += t
    for i in range(grown):
        patient = f"{key_prefix(SITE_A)}GROWN{i:03d}"
        start = datetime(2026, 2, 2, 9, 0) + timedelta(days=i % 20)
        extra_courses.append(dict(
            course_id=f"{patient}:1", patient_key=patient, course_number=1, site_id=SITE_A,
            route="IV", drug="KETAMINE", indication="TRD", instrument="PHQ9",
            course_start=start, last_session_at=start, n_sessions=1,
            n_sessions_terminated_early=0, baseline_score=20, endpoint_score=8,
            baseline_day=0, endpoint_day=28))
    courses = pd.concat([courses, pd.DataFrame(extra_courses)], ignore_index=True)
    courses = courses.astype({"endpoint_score": "Int64", "endpoint_day": "Int64",
                              "baseline_score": "Int64", "baseline_day": "Int64"})
    sessions = pd.concat([sessions, pd.DataFrame(extra_sessions)], ignore_index=True)
    trajectory = pd.concat([trajectory, pd.DataFrame(extra_scores)], ignore_index=True)
    planted_flags = pd.DataFrame([
        dict(assessment_id=f"Q-PLANTED-{site}", patient_key=f"{key_prefix(site)}PLANTED",
             site_id=site, administered_at=datetime(2026, 6, 25, 9, 0), instrument="PHQ9",
             reason="PHQ9_ITEM9", level="3", level_rank=3)
        for site in (SITE_A, SITE_B)])
    flags = pd.concat([flags, planted_flags], ignore_index=True)
    manifest = [{**row, "file_name": _rename_text(row["file_name"])} for row in base.manifest]
    quarantine = [{**row, "row_json": {"site_id": RENAME.get(row["row_json"].get("site_id"),
                                                            row["row_json"].get("site_id"))}}
                  for row in base.quarantine]
    return Network(as_of_date=base.as_of_date, courses=courses, trajectory_scores=trajectory,
                   sessions=sessions, safety_flags=flags, adverse_events=events,
                   manifest=manifest, quarantine=quarantine, gx_results=base.gx_results,
                   dbt_test_results=base.dbt_test_results)


def _rename_text(text: str) -> str:
    for old, new in RENAME.items():
        text = text.replace(old, new)
    return text
