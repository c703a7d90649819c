"""Treatment sessions: when each course's doses fall and what was given.

Schedules follow the route: IV 0.5 mg/kg over 40 minutes, six infusions in two to three
weeks (some titrated up); esketamine 56 mg then 56 or 84 mg twice weekly for four weeks,
then weekly, monitored for two hours; IM, SL and PO their own regimens. Some courses go on
to maintenance. Sessions after the export date are not in the export.
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .arrays import group_starts
from .clock import LAST_MINUTE, MINUTES_PER_DAY
from .contract import ROUTE, ROUTES
from .courses import Courses
from .population import Patients
from .randomness import stream

_WEIGHT_BASED = {"IV", "IM", "PO"}
_DURATION_MIN = {"IV": 40, "IM": 1, "SL": 15, "PO": 1}  # IN: 5 per two devices, see below


@dataclass(frozen=True)
class Sessions:
    course: np.ndarray
    patient: np.ndarray
    position: np.ndarray  # 0-based order within the course
    minute: np.ndarray
    route: np.ndarray
    dose_mg: np.ndarray
    weight_tenths_kg: np.ndarray  # -1: not recorded
    duration_min: np.ndarray  # -1: not recorded
    monitored_min: np.ndarray  # -1: not recorded
    cancelled: np.ndarray
    at_home: np.ndarray  # SL and PO doses taken at home: no vitals

    def __len__(self) -> int:
        return len(self.course)


def _choice(spec: tuple[tuple, tuple], n: int, rng: np.random.Generator) -> np.ndarray:
    values, weights = spec
    return rng.choice(np.array(values), size=n, p=weights)


def _gaps(courses: Courses, course: np.ndarray, position: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """Days since the previous session of the course (0 for the first)."""
    n_core = np.array([P.CORE_SESSIONS[r] for r in ROUTES])[courses.route[course]]
    gap = np.zeros(len(course), dtype=np.int32)
    route = courses.route[course]
    for code, r in ROUTE.items():
        induction = (route == r) & (position > 0) & (position < n_core)
        if code == "IN":
            # Label: twice weekly (Mon/Thu-like 3/4 days) in weeks 1-4, then weekly.
            p = position[induction]
            days = np.where(p <= 7, np.where(p % 2 == 1, 3, 4), 7)
            gap[induction] = days + rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], size=len(p))
        else:
            gap[induction] = _choice(P.INDUCTION_GAP_DAYS[code], int(induction.sum()), rng)
        maintenance = (route == r) & (position >= n_core)
        low, high = P.MAINTENANCE_GAP_DAYS[code]
        gap[maintenance] = rng.integers(low, high + 1, int(maintenance.sum()))
    return gap


def _doses(courses: Courses, s_course: np.ndarray, position: np.ndarray,
           weight_kg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n_courses = len(courses)
    route = courses.route[s_course]
    # IV: 0.5 mg/kg, titrated courses 0.75 from the third infusion and some 1.0 from the fifth.
    titrated = (rng.random(n_courses) < P.IV_TITRATED_SHARE)[s_course]
    to_one = (rng.random(n_courses) < 0.5)[s_course]
    iv_mg_per_kg = np.where(titrated & (position >= 2), 0.75, 0.5)
    iv_mg_per_kg = np.where(titrated & to_one & (position >= 4), 1.0, iv_mg_per_kg)
    im_mg_per_kg = _choice(tuple(zip(*P.IM_MG_PER_KG, strict=True)), n_courses, rng)[s_course]
    im_mg_per_kg = im_mg_per_kg + np.where(
        (rng.random(n_courses) < 0.2)[s_course] & (position >= 3), 0.25, 0.0
    )
    in_high = (rng.random(n_courses) < P.IN_HIGH_DOSE_SHARE)[s_course] & (position >= 1)
    sl_mg = _choice(tuple(zip(*P.SL_FLAT_DOSES_MG, strict=True)), n_courses, rng)[s_course]
    po_mg_per_kg = _choice(tuple(zip(*P.PO_MG_PER_KG, strict=True)), n_courses, rng)[s_course]
    dose = np.select(
        [route == ROUTE["IV"], route == ROUTE["IM"], route == ROUTE["IN"], route == ROUTE["SL"]],
        [
            np.rint(iv_mg_per_kg * weight_kg),
            np.rint(im_mg_per_kg * weight_kg),
            np.where(in_high, 84, 56),
            sl_mg,
        ],
        default=np.rint(po_mg_per_kg * weight_kg / 10) * 10,
    )
    return dose.astype(np.int16)


def schedule_sessions(courses: Courses, patients: Patients, seed: int, stage: str) -> Sessions:
    rng = stream(seed, stage)
    n_courses = len(courses)
    n_sessions = (
        np.array([P.CORE_SESSIONS[r] for r in ROUTES])[courses.route]
        + courses.maintenance_sessions
    )
    course = np.repeat(np.arange(n_courses, dtype=np.int32), n_sessions)
    first, _ = group_starts(course, n_courses)
    position = (np.arange(len(course)) - first[course]).astype(np.int16)

    day_in_course = np.cumsum(_gaps(courses, course, position, rng))
    day_in_course -= day_in_course[first[course]]
    late_shift = np.where(rng.random(len(course)) < 0.25, 15 * rng.integers(-4, 5, len(course)), 0)
    minute = (
        (courses.start_day[course].astype(np.int64) + day_in_course) * MINUTES_PER_DAY
        + courses.clinic_minute[course] + late_shift
    )
    stopped = courses.stops_treatment[course] & (day_in_course > courses.dropout_day[course])
    kept = ~stopped & (minute <= LAST_MINUTE)
    course, position, minute = course[kept], position[kept], minute[kept]
    route = courses.route[course]
    n = len(course)

    # Weighed once per course; weight drifts a little between a patient's courses.
    course_weight = patients.weight_tenths_kg[courses.patient] + np.rint(
        rng.normal(0, 10, n_courses)
    )
    weight_tenths = course_weight.astype(np.int16)[course]
    is_weighed = np.isin(route, [ROUTE[r] for r in _WEIGHT_BASED]) | (
        (route == ROUTE["SL"]) & (rng.random(n_courses) < 0.3)[course]
    )
    dose = _doses(courses, course, position, weight_tenths / 10.0, rng)

    duration = np.array([_DURATION_MIN.get(r, 5) for r in ROUTES])[route]
    duration = np.where((route == ROUTE["IN"]) & (dose == 84), 10, duration)  # third device
    iv_monitored = rng.choice([60, 90, 120], size=n_courses, p=[0.3, 0.5, 0.2])[course]
    im_monitored = rng.choice([60, 90], size=n_courses)[course]
    in_monitored = 120 + np.where(rng.random(n) < 0.1, 15 * rng.integers(1, 3, n), 0)
    monitored = np.select(
        [route == ROUTE["IV"], route == ROUTE["IM"], route == ROUTE["IN"]],
        [iv_monitored, im_monitored, in_monitored],
        default=60,
    )
    at_home = np.isin(route, [ROUTE["SL"], ROUTE["PO"]]) & (rng.random(n) < P.AT_HOME_SHARE)
    cancelled = rng.random(n) < P.CANCELLED_SHARE
    # No two cancellations in a row: a cancelled dose is made up at the next appointment.
    cancelled[1:] &= ~(cancelled[:-1] & (course[1:] == course[:-1]))
    recorded = ~cancelled & ~at_home
    return Sessions(
        course=course,
        patient=courses.patient[course],
        position=position,
        minute=minute,
        route=route,
        dose_mg=dose,
        weight_tenths_kg=np.where(is_weighed, weight_tenths, -1).astype(np.int16),
        duration_min=np.where(~cancelled & (rng.random(n) > 0.02), duration, -1).astype(np.int16),
        monitored_min=np.where(recorded & (rng.random(n) > 0.03), monitored, -1).astype(np.int16),
        cancelled=cancelled,
        at_home=at_home,
    )


def course_spans(sessions: Sessions, n_courses: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per course: first session minute, last session day and session count (-1, -1, 0 if none)."""
    first, count = group_starts(sessions.course, n_courses)
    if len(sessions) == 0:
        return np.full(n_courses, -1), np.full(n_courses, -1), count
    has = count > 0
    first_minute = np.where(has, sessions.minute[np.minimum(first, len(sessions) - 1)], -1)
    last_minute = np.where(has, sessions.minute[np.maximum(first + count - 1, 0)], -1)
    return first_minute, np.where(has, last_minute // MINUTES_PER_DAY, -1), count
