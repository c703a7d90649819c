"""A realistic-looking network of any size, for rendering tests and the benchmark.

It stands in for the pipeline's own snapshot (generate_network -> run_job)
where that is not available: the same marts with plausible mixes of sites,
routes, indications, scores, side effects and files, several years of
courses, and one site with a handful of patients. Its numbers are not
asserted anywhere; only that every page renders them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from tests.dashboards.fixture_snapshot import Network

INDICATIONS = {"TRD": 0.38, "MDD": 0.18, "BIPOLAR_DEPRESSION": 0.12, "PTSD": 0.10, "OCD": 0.08,
               "SUICIDAL_IDEATION": 0.06, "CHRONIC_PAIN": 0.05, "OTHER": 0.03}
PRIMARY = {"PTSD": "PCL5", "OCD": "YBOCS", "CHRONIC_PAIN": "PAIN_NRS"}
ROUTES = ("IV", "IN", "IM", "SL", "PO")
ROUTE_MIX = (0.50, 0.19, 0.15, 0.10, 0.06)
# (baseline mean, sd, max total) of each primary instrument.
SCORES = {"PHQ9": (18, 4, 27), "PCL5": (52, 10, 80), "YBOCS": (26, 5, 40), "PAIN_NRS": (7, 1.5, 10)}
# mg/kg range of each route; IN is esketamine at a fixed 56 or 84 mg.
DOSE_MG_PER_KG = {"IV": (0.5, 1.0), "IM": (0.5, 1.0), "SL": (1.0, 3.0), "PO": (1.0, 3.0)}
CADSS_MEAN = {"IV": 16, "IN": 12, "IM": 18, "SL": 7, "PO": 5}
SIDE_EFFECTS = {"NAUSEA": 0.10, "VOMITING": 0.03, "DIZZINESS": 0.09, "HEADACHE": 0.06,
                "DISSOCIATION": 0.18, "SEDATION": 0.07, "ANXIETY": 0.04, "HYPERTENSION": 0.03,
                "TACHYCARDIA": 0.02, "RESPIRATORY_DEPRESSION": 0.002, "BLURRED_VISION": 0.03,
                "CONFUSION": 0.01, "OTHER": 0.02}
AE_CATEGORIES = ("HYPERTENSION", "DISSOCIATION", "NAUSEA_VOMITING", "SEDATION",
                 "RESPIRATORY_DEPRESSION", "CARDIAC", "PSYCHIATRIC_WORSENING",
                 "SUICIDAL_BEHAVIOR", "UROLOGICAL", "MISUSE", "OTHER")
AS_OF = date(2026, 6, 30)
HISTORY_DAYS = 900


def synthetic_network(patients: int, sites: int = 6, seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    courses = _courses(rng, patients, sites)
    sessions = _sessions(rng, courses)
    courses = _with_session_counts(courses, sessions)
    trajectory_scores = _trajectory_scores(rng, courses)
    return Network(
        as_of_date=AS_OF,
        courses=courses.drop(columns="improvement"),
        trajectory_scores=trajectory_scores,
        sessions=sessions,
        safety_flags=_safety_flags(rng, courses),
        adverse_events=_adverse_events(rng, sessions),
        **_ops(rng, sorted(courses["site_id"].unique()), len(sessions)),
    )


def _keys(prefix: str, numbers) -> np.ndarray:
    numbers = np.arange(numbers) if isinstance(numbers, int) else np.asarray(numbers)
    return (prefix + pd.Series(numbers).astype(str).str.zfill(8)).to_numpy()


def _site_ids(sites: int) -> list[str]:
    return [f"CL{i + 1:02d}-{'ABCDEFGHJKLMNPQRSTUVWXYZ'[i % 24]}" for i in range(sites)]


def _courses(rng: np.random.Generator, patients: int, sites: int) -> pd.DataFrame:
    site_ids = _site_ids(sites)
    # The last site is tiny (a clinic that has just joined): at most three patients.
    weights = rng.dirichlet(np.full(sites - 1, 4.0)) if sites > 1 else np.ones(1)
    tiny = min(3, max(patients - 1, 0)) if sites > 1 else 0
    patient_site = np.concatenate([
        rng.choice(site_ids[:-1] if sites > 1 else site_ids, size=patients - tiny, p=weights),
        np.array([site_ids[-1]] * tiny, dtype=object),
    ])
    indication = rng.choice(list(INDICATIONS), size=patients, p=list(INDICATIONS.values()))
    route = rng.choice(ROUTES, size=patients, p=ROUTE_MIX)
    # Esketamine is labelled for depression only.
    depression = np.isin(indication, ["TRD", "MDD", "SUICIDAL_IDEATION"])
    route = np.where((route == "IN") & ~depression, "IV", route)
    second = rng.random(patients) < 0.3
    first_start = rng.uniform(0, HISTORY_DAYS, patients) ** 1.15 / HISTORY_DAYS ** 0.15
    frames = []
    for number, offset in ((1, 0.0), (2, 1.0)):
        keep = np.ones(patients, bool) if number == 1 else second
        day = HISTORY_DAYS - first_start + offset * rng.uniform(90, 300, patients)
        keep &= day <= HISTORY_DAYS
        index = np.flatnonzero(keep)
        frames.append(pd.DataFrame({
            "patient_key": _keys("pat-", index), "course_number": number,
            "site_id": patient_site[index], "route": route[index],
            "indication": indication[index], "day": day[index],
        }))
    courses = pd.concat(frames, ignore_index=True)
    start = pd.Timestamp(AS_OF) - pd.Timedelta(days=HISTORY_DAYS)
    courses["course_start"] = (start + pd.to_timedelta(courses.pop("day").round(), unit="D")
                               + pd.Timedelta(hours=9)).astype("datetime64[us]")
    courses["course_id"] = courses["patient_key"] + ":" + courses["course_number"].astype(str)
    courses["drug"] = np.where(courses["route"] == "IN", "ESKETAMINE", "KETAMINE")
    courses["instrument"] = courses["indication"].map(PRIMARY).fillna("PHQ9")
    return _with_scores(rng, courses)


def _with_scores(rng: np.random.Generator, courses: pd.DataFrame) -> pd.DataFrame:
    n = len(courses)
    mean, sd, top = (courses["instrument"].map(lambda i, k=k: SCORES[i][k]).to_numpy(float)
                     for k in range(3))
    baseline = np.clip(np.round(rng.normal(mean, sd)), 0, top)
    improvement = rng.normal(0.42, 0.3, n)
    endpoint = np.clip(np.round(baseline * (1 - improvement)), 0, top)
    days_observed = (pd.Timestamp(AS_OF) - courses["course_start"]).dt.days.to_numpy()
    has_baseline = rng.random(n) > 0.08
    has_endpoint = has_baseline & (rng.random(n) > 0.33) & (days_observed >= 14)
    courses["baseline_score"] = pd.array(np.where(has_baseline, baseline, np.nan), "Int64")
    courses["endpoint_score"] = pd.array(np.where(has_endpoint, endpoint, np.nan), "Int64")
    courses["baseline_day"] = pd.array(np.where(has_baseline, 0, np.nan), "Int64")
    endpoint_day = np.minimum(rng.integers(14, 57, n), np.maximum(days_observed, 14))
    courses["endpoint_day"] = pd.array(np.where(has_endpoint, endpoint_day, np.nan), "Int64")
    courses["improvement"] = improvement
    return courses


def _sessions(rng: np.random.Generator, courses: pd.DataFrame) -> pd.DataFrame:
    planned = rng.integers(1, 9, len(courses))
    course_index = np.repeat(np.arange(len(courses)), planned)
    number = np.concatenate([np.arange(k) for k in planned]) if len(planned) else np.array([])
    route = courses["route"].to_numpy()[course_index]
    started_at = (courses["course_start"].to_numpy()[course_index]
                  + (np.round(number * 3.5)).astype("timedelta64[D]"))
    keep = started_at <= np.datetime64(AS_OF) + np.timedelta64(9, "h")
    course_index, number, route, started_at = (a[keep] for a in (course_index, number, route,
                                                                  started_at))
    n = len(course_index)
    weight = np.clip(rng.normal(83, 19, n), 45, 170).round(1)
    bounds = pd.DataFrame(DOSE_MG_PER_KG, index=["low", "high"]).T.reindex(ROUTES, fill_value=0.0)
    per_kg = rng.uniform(bounds["low"].reindex(route).to_numpy(),
                         bounds["high"].reindex(route).to_numpy())
    dose = np.where(route == "IN", rng.choice([56.0, 84.0], n), (per_kg * weight).round(1))
    cadss_mean = pd.Series(CADSS_MEAN).reindex(route).to_numpy() * (0.6 + 0.4 * dose / weight)
    cadss = np.clip(rng.poisson(cadss_mean), 0, 92).astype(float)
    cadss[rng.random(n) < 0.2] = np.nan
    listed = pd.DataFrame({e: rng.random(n) < p for e, p in SIDE_EFFECTS.items()})
    side_effects = listed.dot(pd.Index(list(SIDE_EFFECTS)) + ";").str.rstrip(";")
    course = courses.iloc[course_index]
    return pd.DataFrame({
        "session_id": _keys("S", n),
        "patient_key": course["patient_key"].to_numpy(),
        "course_id": course["course_id"].to_numpy(),
        "site_id": course["site_id"].to_numpy(),
        "route": route,
        "drug": course["drug"].to_numpy(),
        "started_at": started_at.astype("datetime64[us]"),
        "status": np.where(rng.random(n) < 0.03, "TERMINATED_EARLY", "COMPLETED"),
        "dose_mg": dose,
        "weight_kg": np.where(rng.random(n) < 0.1, np.nan, weight),
        "cadss": pd.array(cadss, "Int64"),
        "side_effects": side_effects.where(side_effects != "", None).to_numpy(),
        "bp_excursion": rng.random(n) < np.where(route == "IN", 0.06, 0.03),
    })


def _with_session_counts(courses: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    per_course = sessions.assign(early=sessions["status"] == "TERMINATED_EARLY").groupby(
        "course_id").agg(n_sessions=("session_id", "size"), last_session_at=("started_at", "max"),
                         n_sessions_terminated_early=("early", "sum"))
    return courses.join(per_course, on="course_id", how="inner").reset_index(drop=True)


def _trajectory_scores(rng: np.random.Generator, courses: pd.DataFrame) -> pd.DataFrame:
    weeks = np.arange(0, 13)
    has = courses["baseline_score"].notna().to_numpy()
    base = courses.loc[has]
    baseline = base["baseline_score"].to_numpy(float)
    improvement = base["improvement"].to_numpy()
    observed_weeks = ((pd.Timestamp(AS_OF) - base["course_start"]).dt.days.to_numpy() // 7)
    course_id = np.repeat(base["course_id"].to_numpy(), len(weeks))
    week = np.tile(weeks, len(base))
    expected = (np.repeat(baseline, len(weeks))
                * (1 - np.repeat(improvement, len(weeks)) * np.minimum(1, week / 6)))
    score = np.clip(np.round(expected + rng.normal(0, 2, len(week))), 0, None)
    keep = ((week == 0) | (rng.random(len(week)) < 0.45)) & (week <= np.repeat(observed_weeks,
                                                                                len(weeks)))
    score[week == 0] = np.repeat(baseline, len(weeks))[week == 0]
    return pd.DataFrame({"course_id": course_id[keep], "week": week[keep],
                         "score": score[keep].astype(int)})


def _safety_flags(rng: np.random.Generator, courses: pd.DataFrame) -> pd.DataFrame:
    n = len(courses)
    phq9 = (courses["instrument"] == "PHQ9").to_numpy() & (rng.random(n) < 0.12)
    cssrs = rng.random(n) < 0.04
    rows = []
    for mask, reason, instrument, levels in (
        (phq9, "PHQ9_ITEM9", "PHQ9", (("1", 1), ("2", 2), ("3", 3))),
        (cssrs, "CSSRS", "CSSRS_SCREEN", (("LOW", 1), ("MODERATE", 2), ("HIGH", 3))),
    ):
        picked = courses.loc[mask]
        level = rng.choice(len(levels), len(picked), p=(0.65, 0.25, 0.10))
        at = picked["course_start"] + pd.to_timedelta(rng.integers(-3, 40, len(picked)), unit="D")
        at = at.where(at <= pd.Timestamp(AS_OF), pd.Timestamp(AS_OF) + pd.Timedelta(hours=8))
        rows.append(pd.DataFrame({
            "assessment_id": reason + "-" + picked["course_id"],
            "patient_key": picked["patient_key"].to_numpy(),
            "site_id": picked["site_id"].to_numpy(), "administered_at": at.to_numpy(),
            "instrument": instrument, "reason": reason,
            "level": [levels[i][0] for i in level], "level_rank": [levels[i][1] for i in level],
        }))
    return pd.concat(rows, ignore_index=True)


def _adverse_events(rng: np.random.Generator, sessions: pd.DataFrame) -> pd.DataFrame:
    picked = sessions.loc[rng.random(len(sessions)) < 0.015]
    n = len(picked)
    return pd.DataFrame({
        "event_id": "E-" + picked["session_id"],
        "patient_key": picked["patient_key"].to_numpy(), "site_id": picked["site_id"].to_numpy(),
        "session_id": picked["session_id"].to_numpy(),
        "category": rng.choice(AE_CATEGORIES, n),
        "severity": rng.choice(["MILD", "MODERATE", "SEVERE"], n, p=(0.6, 0.3, 0.1)),
        "serious": rng.random(n) < 0.05,
    })


def _ops(rng: np.random.Generator, sites: list[str], n_sessions: int) -> dict:
    manifest, quarantine, gx_results = [], [], []
    loaded_at = datetime(2026, 6, 30, 7, 0)
    for s, site in enumerate(sites):
        for e, entity in enumerate(("patients", "sessions", "assessments", "adverse_events")):
            sha = f"{s:02d}{e:02d}".ljust(64, "f")
            at = loaded_at - timedelta(days=int(rng.integers(0, 20)), minutes=s * 7 + e)
            rows = int(rng.integers(50, 5000))
            bad = int(rng.integers(0, 30))
            manifest.append(dict(file_sha256=sha, file_name=f"{entity}_{site}.csv", entity=entity,
                                 status="LOADED", rows_read=rows + bad, rows_loaded=rows,
                                 rows_quarantined=bad, loaded_at=at))
            reasons = ("OUT_OF_RANGE", "NOT_IN_LIST", "UNPARSEABLE_DATE", "TOTAL_MISMATCH")
            quarantine += [dict(file_sha256=sha, entity=entity, row_number=r + 1,
                                record_key=f"K{r}", reason=reasons[r % len(reasons)],
                                reason_column=None, row_json={"site_id": site},
                                quarantined_at=at) for r in range(bad)]
            gx_results.append(dict(run_id="run-fixture", suite_name=entity, batch=sha,
                                   success=bad == 0, evaluated=25, failed=int(bad > 0),
                                   failures=[f"expect_column_values_to_be_between: {bad} "
                                             f"unexpected of {rows + bad} rows"] if bad else [],
                                   validated_at=at))
    manifest.append(dict(file_sha256="e" * 64, file_name="sessions_copy.csv", entity="sessions",
                         status="DUPLICATE", rows_read=0, rows_loaded=0, rows_quarantined=0,
                         loaded_at=loaded_at))
    manifest.append(dict(file_sha256="d" * 64, file_name="patients_export_bad.csv",
                         entity="patients", status="REJECTED_PHI", rows_read=0, rows_loaded=0,
                         rows_quarantined=0, reason="columns look like identifiers: email",
                         loaded_at=loaded_at))
    dbt_test_results = [
        dict(run_id="run-fixture", unique_id=f"test.ketreg.check_{i}", test_name=f"check_{i}",
             status="pass", failures=0, message=None, executed_at=loaded_at)
        for i in range(30)
    ]
    return dict(manifest=manifest, quarantine=quarantine, gx_results=gx_results,
                dbt_test_results=dbt_test_results)
