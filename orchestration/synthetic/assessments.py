"""Questionnaire and rating-scale administrations: when they happen and their total scores.

Every course gets an item-level PHQ-9 before its first dose (the same day, before the dose,
or a few days earlier) and weekly for eight weeks, then monthly during maintenance; a
C-SSRS screen at baseline and a few follow-ups; some a GAD-7; the indication's own
instrument (PCL-5, Y-BOCS, pain NRS) when it is not the PHQ-9; some esketamine courses a
clinician-rated MADRS. A dropout answers nothing after their dropout day.

Scores follow the course's latent improvement: total = baseline * (1 - improvement *
(1 - exp(-day / onset))) + noise, so response and remission rates come out of the same
truth on every instrument.
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .arrays import stack
from .catalog import Instrument
from .clock import LAST_MINUTE, MINUTES_PER_DAY
from .contract import INDICATIONS, ROUTE
from .courses import Courses
from .population import Patients
from .randomness import stream

# Instruments answered at the same baseline visit follow each other a few minutes apart,
# all before the first dose.
_BASELINE_VISIT_ORDER = ("PHQ9", "GAD7", "CSSRS_SCREEN", "PCL5", "YBOCS", "PAIN_NRS", "MADRS")
CSSRS_CODE = "CSSRS_SCREEN"


@dataclass(frozen=True)
class Administrations:
    course: np.ndarray
    patient: np.ndarray
    instrument: np.ndarray  # index into the catalog's instrument codes
    minute: np.ndarray
    score: np.ndarray  # intended total; for the C-SSRS screen its risk level 0..3

    def __len__(self) -> int:
        return len(self.course)


def _courses_taking(code: str, courses: Courses, patients: Patients,
                    primary_by_indication: dict[str, str]) -> np.ndarray:
    if code in ("PHQ9", CSSRS_CODE):
        return np.ones(len(courses), dtype=bool)
    if code == "GAD7":
        return courses.gets_gad7
    if code == "MADRS":
        return courses.gets_madrs
    primary = np.array([primary_by_indication[i] for i in INDICATIONS])
    return primary[patients.indication[courses.patient]] == code


def _baseline_scores(code: str, instrument: Instrument, courses: Courses, patients: Patients,
                     primary_by_indication: dict[str, str], rng: np.random.Generator
                     ) -> np.ndarray:
    mean, sd = P.BASELINE_SCORE[code]
    if code == "PHQ9":
        depressive = np.array([primary_by_indication[i] == "PHQ9" for i in INDICATIONS])
        is_depressive = depressive[patients.indication[courses.patient]]
        mean = np.where(is_depressive, mean, P.PHQ9_BASELINE_OTHER_INDICATIONS[0])
        sd = np.where(is_depressive, sd, P.PHQ9_BASELINE_OTHER_INDICATIONS[1])
    return np.clip(np.rint(rng.normal(mean, sd, len(courses))), 0, instrument.total_max)


def _improvement(code: str, courses: Courses, rng: np.random.Generator) -> np.ndarray:
    improvement = courses.improvement + rng.normal(0, 0.08, len(courses))
    if code == "MADRS":
        improvement = improvement + P.MADRS_EXTRA_IMPROVEMENT * (courses.route == ROUTE["IN"])
    elif code == "GAD7":
        improvement = improvement * 0.85
    return np.clip(improvement, -0.5, 1.0)


def _cssrs_risk(prone: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(prone))[:, None]
    cumulative = np.where(prone[:, None], np.cumsum(P.CSSRS_RISK_PRONE),
                          np.cumsum(P.CSSRS_RISK_OTHER))
    return np.minimum((u >= cumulative).sum(axis=1), 3)


def schedule_administrations(
    courses: Courses, patients: Patients, first_minute: np.ndarray, last_day: np.ndarray,
    instruments: dict[str, Instrument], primary_by_indication: dict[str, str], seed: int,
) -> Administrations:
    rng = stream(seed, "assessments")
    codes = tuple(instruments)
    n_courses = len(courses)
    start_minute = np.where(
        first_minute >= 0,
        first_minute,
        courses.start_day.astype(np.int64) * MINUTES_PER_DAY + courses.clinic_minute,
    )
    start_day = start_minute // MINUTES_PER_DAY
    days_treated = np.where(last_day >= 0, last_day - start_day, 0)
    same_day = rng.random(n_courses) < P.BASELINE_SAME_DAY
    baseline_minute = np.where(
        same_day,
        start_minute - rng.integers(20, 91, n_courses),
        (start_day - rng.integers(1, 6, n_courses)) * MINUTES_PER_DAY
        + rng.integers(8 * 60, 19 * 60, n_courses),
    )

    parts = []
    for visit_rank, code in enumerate(_BASELINE_VISIT_ORDER):
        if code not in instruments:
            continue
        course = np.nonzero(_courses_taking(code, courses, patients, primary_by_indication))[0]
        follow_up_days, attendance, monthly = P.VISIT_PLANS[code]
        target_days = np.array(follow_up_days + (P.MONTHLY_DAYS if monthly else ()))
        m, k = len(course), len(target_days)
        day = target_days + rng.integers(-1, 3, (m, k))
        present = rng.random((m, k)) < attendance
        in_maintenance = target_days > max(follow_up_days)
        present &= ~in_maintenance | (day <= days_treated[course, None] + 14)
        dropout = courses.drops_out[course, None]
        present &= ~dropout | (day <= courses.dropout_day[course, None])
        minute = ((start_day[course, None] + day) * MINUTES_PER_DAY
                  + rng.integers(7 * 60, 21 * 60, (m, k)))

        # Column 0: the baseline visit, shared by every instrument of the course.
        day = np.hstack([np.zeros((m, 1), dtype=day.dtype), day])
        minute = np.hstack([baseline_minute[course, None] + 2 * visit_rank, minute])
        present = np.hstack([rng.random((m, 1)) >= P.BASELINE_MISSING, present])
        present &= minute <= LAST_MINUTE

        row, visit = np.nonzero(present)
        admin_course = course[row]
        if code == CSSRS_CODE:
            # Prone patients screen positive more often, unless treatment is working.
            prone = patients.suicidal_prone[courses.patient[admin_course]] & (
                (visit == 0) | (courses.improvement[admin_course] < 0.5)
            )
            score = _cssrs_risk(prone, rng)
        else:
            instrument = instruments[code]
            baseline = _baseline_scores(code, instrument, courses, patients,
                                        primary_by_indication, rng)[course]
            improvement = _improvement(code, courses, rng)[course]
            effect = 1 - np.exp(-np.maximum(day, 0) / P.ONSET_DAYS)
            noise = rng.normal(0, P.SCORE_NOISE * instrument.total_max, (m, k + 1))
            expected = baseline[:, None] * (1 - improvement[:, None] * effect) + noise
            expected[:, 0] = baseline  # the baseline visit defines the baseline
            score = np.clip(np.rint(expected), 0, instrument.total_max)[row, visit]
        parts.append(Administrations(
            course=admin_course.astype(np.int32),
            patient=courses.patient[admin_course],
            instrument=np.full(len(row), codes.index(code), dtype=np.int8),
            minute=minute[row, visit],
            score=score.astype(np.int16),
        ))
    return stack(parts)
