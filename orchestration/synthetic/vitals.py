"""What was observed at each session: side effects, vital signs, sedation, dissociation.

A cancelled session has no observations. SL and PO doses taken at home have none either.
Blood pressure rises from pre to peak by the route's usual amount; sessions with a
hypertensive reaction (the HYPERTENSION side effect) rise further, some past the
excursion thresholds (sbp_peak >= 180 or a rise of 40 mmHg and more).
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .contract import EFFECT, ROUTE, ROUTES, SIDE_EFFECTS, STATUS
from .population import Patients
from .randomness import stream
from .sessions import Sessions

VITAL_COLUMNS = (
    "sbp_pre", "sbp_peak", "sbp_post", "dbp_pre", "dbp_peak", "dbp_post", "hr_pre", "hr_peak",
    "spo2_min", "cadss", "moaas_min",
)


@dataclass(frozen=True)
class Observations:
    status: np.ndarray  # index into contract.STATUSES
    duration_min: np.ndarray  # the session's, shortened when terminated early; -1: none
    effects: np.ndarray  # bool, sessions x contract.SIDE_EFFECTS
    vitals: dict[str, np.ndarray]  # VITAL_COLUMNS, -1: not recorded
    bp_excursion: np.ndarray  # by the outcomes.md definition, on the recorded readings


def _effect_flags(sessions: Sessions, patients: Patients, observed: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    rates = np.array([[P.EFFECT_RATES[r].get(e, 0.0) for e in SIDE_EFFECTS] for r in ROUTES])
    p = rates[sessions.route]
    p[:, EFFECT["DISSOCIATION"]] += patients.dissociation_shift[sessions.patient]
    return (rng.random(p.shape) < p) & observed[:, None]


def observe_sessions(sessions: Sessions, patients: Patients, seed: int) -> Observations:
    rng = stream(seed, "vitals")
    n = len(sessions)
    observed = ~sessions.cancelled
    effects = _effect_flags(sessions, patients, observed, rng)
    has = {name: effects[:, EFFECT[name]] for name in SIDE_EFFECTS}
    route = sessions.route

    sbp_pre = patients.sbp_usual[sessions.patient] + rng.normal(0, 6, n)
    dbp_pre = patients.dbp_usual[sessions.patient] + rng.normal(0, 4, n)
    hr_pre = patients.hr_usual[sessions.patient] + rng.normal(0, 5, n)
    usual_rise = np.array([P.BP_RISE[r] for r in ROUTES])[route]
    sbp_rise = np.where(
        has["HYPERTENSION"],
        20 + rng.gamma(2.0, 6.0, n),
        np.clip(rng.normal(usual_rise[:, 0], 8.0), -6, 34),
    )
    dbp_rise = np.where(
        has["HYPERTENSION"],
        11 + rng.gamma(2.0, 4.0, n),
        np.clip(rng.normal(usual_rise[:, 1], 5.0), -5, 22),
    )
    hr_rise = (np.array([P.HR_RISE[r] for r in ROUTES])[route] + rng.normal(0, 6, n)
               + 25 * has["TACHYCARDIA"])
    spo2 = np.where(
        has["RESPIRATORY_DEPRESSION"],
        rng.integers(84, 92, n),
        98 - np.rint(np.abs(rng.normal(0, 1.3, n))),
    )
    cadss_when_dissociated = np.where(
        route == ROUTE["IV"], 10 + rng.gamma(2.0, 7.0, n), 7 + rng.gamma(2.0, 5.0, n)
    )
    cadss = np.where(has["DISSOCIATION"], cadss_when_dissociated, rng.poisson(1.5, n))
    moaas = np.where(
        has["SEDATION"],
        rng.choice([4, 3, 2], size=n, p=[0.5, 0.4, 0.1]),
        np.where((route == ROUTE["IV"]) & (rng.random(n) < 0.25), 4, 5),
    )
    readings = {
        "sbp_pre": (sbp_pre, 50, 300),
        "sbp_peak": (sbp_pre + sbp_rise, 50, 300),
        "sbp_post": (sbp_pre + 0.25 * sbp_rise + rng.normal(0, 5, n), 50, 300),
        "dbp_pre": (dbp_pre, 30, 200),
        "dbp_peak": (dbp_pre + dbp_rise, 30, 200),
        "dbp_post": (dbp_pre + 0.25 * dbp_rise + rng.normal(0, 4, n), 30, 200),
        "hr_pre": (hr_pre, 20, 250),
        "hr_peak": (hr_pre + np.maximum(hr_rise, 0), 20, 250),
        "spo2_min": (spo2, 50, 100),
        "cadss": (cadss, 0, 92),
        "moaas_min": (moaas, 0, 5),
    }
    measured = observed & ~sessions.at_home
    missing_rate = {"cadss": P.CADSS_MISSING, "moaas_min": P.MOAAS_MISSING}
    vitals = {
        name: np.where(
            measured & (rng.random(n) >= missing_rate.get(name, P.READING_MISSING)),
            np.clip(np.rint(values), low, high),
            -1,
        ).astype(np.int16)
        for name, (values, low, high) in readings.items()
    }
    bp_excursion = _bp_excursion(vitals)

    terminated = observed & (
        rng.random(n)
        < P.TERMINATED_BASE + 0.12 * bp_excursion + 0.04 * has["ANXIETY"]
        + 0.25 * has["RESPIRATORY_DEPRESSION"]
    )
    status = np.select([sessions.cancelled, terminated],
                       [STATUS["CANCELLED"], STATUS["TERMINATED_EARLY"]], STATUS["COMPLETED"])
    cut_infusion = terminated & (route == ROUTE["IV"]) & (sessions.duration_min > 0)
    duration = np.where(cut_infusion, rng.integers(8, 36, n), sessions.duration_min)
    return Observations(
        status=status.astype(np.int8),
        duration_min=duration.astype(np.int16),
        effects=effects,
        vitals=vitals,
        bp_excursion=bp_excursion,
    )


def _bp_excursion(vitals: dict[str, np.ndarray]) -> np.ndarray:
    def both(a: str, b: str) -> np.ndarray:
        return (vitals[a] >= 0) & (vitals[b] >= 0)

    return (
        (vitals["sbp_peak"] >= 180)
        | (vitals["dbp_peak"] >= 110)
        | (both("sbp_peak", "sbp_pre") & (vitals["sbp_peak"] - vitals["sbp_pre"] >= 40))
        | (both("dbp_peak", "dbp_pre") & (vitals["dbp_peak"] - vitals["dbp_pre"] >= 25))
    )
