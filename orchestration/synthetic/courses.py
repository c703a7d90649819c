"""Treatment courses: route, when they start, and the latent truth behind their outcomes.

Each patient has a first course; some have a second one after a gap of months. A course
carries what later stages need to stay consistent with each other: how much the patient
truly improves, whether and when they drop out, and how long maintenance goes on.
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .clock import EXPORT_DAY
from .contract import INDICATIONS, ROUTE, ROUTES
from .population import Patients
from .randomness import stream


@dataclass(frozen=True)
class Courses:
    patient: np.ndarray
    number: np.ndarray  # 1 or 2
    route: np.ndarray  # index into contract.ROUTES
    start_day: np.ndarray  # day of the first planned session
    clinic_minute: np.ndarray  # the patient's usual appointment time
    improvement: np.ndarray  # latent fraction of the baseline score gone at full effect
    drops_out: np.ndarray
    dropout_day: np.ndarray  # last day after start with any questionnaire, if drops_out
    stops_treatment: np.ndarray  # a dropout who also stops coming for doses
    maintenance_sessions: np.ndarray
    gets_gad7: np.ndarray
    gets_madrs: np.ndarray

    def __len__(self) -> int:
        return len(self.patient)


def _route_for(indication: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mix = np.array([P.ROUTE_MIX_BY_INDICATION[code] for code in INDICATIONS])
    cumulative = np.cumsum(mix[indication], axis=1)
    u = rng.random(len(indication))[:, None] * cumulative[:, -1:]
    return (u >= cumulative).sum(axis=1).astype(np.int8)


def _courses(patient: np.ndarray, number: int, route: np.ndarray, start_day: np.ndarray,
             rng: np.random.Generator) -> Courses:
    n = len(patient)
    responder = rng.random(n) < np.array([P.RESPONDER_SHARE[r] for r in ROUTES])[route]
    improvement = np.where(
        responder,
        rng.normal(*P.IMPROVEMENT_RESPONDER, n),
        rng.normal(*P.IMPROVEMENT_NON_RESPONDER, n),
    ).clip(-0.4, 1.0)
    drops_out = rng.random(n) < np.where(responder, P.DROPOUT_RESPONDER, P.DROPOUT_NON_RESPONDER)
    stops_treatment = drops_out & (rng.random(n) < P.DROPOUT_STOPS_TREATMENT)
    has_maintenance = ~stops_treatment & (
        rng.random(n) < np.array([P.MAINTENANCE_SHARE[r] for r in ROUTES])[route]
    )
    low, high = P.MAINTENANCE_SESSIONS
    return Courses(
        patient=patient.astype(np.int32),
        number=np.full(n, number, dtype=np.int8),
        route=route.astype(np.int8),
        start_day=start_day.astype(np.int32),
        clinic_minute=(8 * 60 + 15 * rng.integers(0, 32, n)).astype(np.int16),
        improvement=improvement,
        drops_out=drops_out,
        dropout_day=rng.integers(2, 14, n).astype(np.int16),
        stops_treatment=stops_treatment,
        maintenance_sessions=np.where(has_maintenance, rng.integers(low, high + 1, n), 0)
        .astype(np.int16),
        gets_gad7=rng.random(n) < P.GAD7_SHARE,
        gets_madrs=(route == ROUTE["IN"]) & (rng.random(n) < P.MADRS_SHARE_ESKETAMINE),
    )


def draw_first_courses(patients: Patients, seed: int) -> Courses:
    rng = stream(seed, "courses-1")
    n = len(patients)
    screening = np.minimum(rng.geometric(0.15, n), P.SCREENING_DAYS_MAX)
    route = _route_for(patients.indication, rng)
    return _courses(np.arange(n), 1, route, patients.enrolled_day + screening, rng)


def draw_second_courses(patients: Patients, first: Courses, first_last_day: np.ndarray,
                        seed: int) -> Courses:
    """Second courses, after the first course's last session and a gap of months."""
    rng = stream(seed, "courses-2")
    gap = P.SECOND_COURSE_MIN_GAP_DAYS + np.rint(rng.gamma(2.0, 50.0, len(first)))
    start_day = first_last_day + gap
    chosen = (
        (rng.random(len(first)) < P.SECOND_COURSE_SHARE)
        & (first_last_day >= 0)  # the first course has begun
        & (start_day <= EXPORT_DAY)
    )
    patient = first.patient[chosen]
    route = np.where(
        rng.random(len(patient)) < P.SECOND_COURSE_SAME_ROUTE,
        first.route[chosen],
        _route_for(patients.indication[patient], rng),
    )
    return _courses(patient, 2, route, start_day[chosen], rng)
