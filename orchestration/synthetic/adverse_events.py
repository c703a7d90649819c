"""Adverse events reported after a few percent of countable sessions.

The category follows what happened at the session (a blood-pressure excursion, heavy
sedation, dissociation, ...), with a small share of psychiatric, urological and misuse
events. Most events start within the monitoring period and name their session; a few
are reported days later without one.
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .clock import LAST_MINUTE, MINUTES_PER_DAY
from .contract import AE_CATEGORIES, AE_CATEGORY, EFFECT, SEVERITY, STATUS
from .randomness import stream
from .sessions import Sessions
from .vitals import Observations

# Categories that can surface days after a session, away from the clinic.
_LATE_CATEGORIES = ("PSYCHIATRIC_WORSENING", "SUICIDAL_BEHAVIOR", "UROLOGICAL", "MISUSE", "OTHER")


@dataclass(frozen=True)
class AdverseEvents:
    session: np.ndarray  # the session it followed
    linked: np.ndarray  # whether the export names that session
    patient: np.ndarray
    minute: np.ndarray
    category: np.ndarray  # index into contract.AE_CATEGORIES
    severity: np.ndarray  # index into contract.SEVERITIES
    serious: np.ndarray

    def __len__(self) -> int:
        return len(self.session)


def _category_weights(effects: np.ndarray, excursion: np.ndarray) -> np.ndarray:
    def has(name: str) -> np.ndarray:
        return effects[:, EFFECT[name]].astype(float)

    weights = np.zeros((len(effects), len(AE_CATEGORIES)))
    weights[:, AE_CATEGORY["HYPERTENSION"]] = 6 * excursion + 2 * has("HYPERTENSION")
    weights[:, AE_CATEGORY["DISSOCIATION"]] = 2 * has("DISSOCIATION")
    weights[:, AE_CATEGORY["NAUSEA_VOMITING"]] = 2 * np.maximum(has("NAUSEA"), has("VOMITING"))
    weights[:, AE_CATEGORY["SEDATION"]] = 2 * has("SEDATION")
    weights[:, AE_CATEGORY["RESPIRATORY_DEPRESSION"]] = 8 * has("RESPIRATORY_DEPRESSION")
    weights[:, AE_CATEGORY["CARDIAC"]] = 3 * has("TACHYCARDIA") + 0.1
    weights[:, AE_CATEGORY["PSYCHIATRIC_WORSENING"]] = 0.5
    weights[:, AE_CATEGORY["SUICIDAL_BEHAVIOR"]] = 0.08
    weights[:, AE_CATEGORY["UROLOGICAL"]] = 0.1
    weights[:, AE_CATEGORY["MISUSE"]] = 0.05
    weights[:, AE_CATEGORY["OTHER"]] = 0.4
    return weights


def draw_adverse_events(sessions: Sessions, observations: Observations,
                        seed: int) -> AdverseEvents:
    rng = stream(seed, "adverse_events")
    effects = observations.effects
    terminated = observations.status == STATUS["TERMINATED_EARLY"]
    countable = observations.status != STATUS["CANCELLED"]
    rate = (
        P.AE_BASE_RATE
        + 0.25 * terminated
        + 0.10 * observations.bp_excursion
        + 0.04 * effects[:, EFFECT["SEDATION"]]
        + 0.02 * effects[:, EFFECT["DISSOCIATION"]]
        + 0.30 * effects[:, EFFECT["RESPIRATORY_DEPRESSION"]]
    )
    session = np.nonzero(countable & (rng.random(len(sessions)) < rate))[0]
    n = len(session)

    cumulative = np.cumsum(
        _category_weights(effects[session], observations.bp_excursion[session]), axis=1
    )
    u = rng.random(n)[:, None] * cumulative[:, -1:]
    category = np.minimum((u >= cumulative).sum(axis=1), len(AE_CATEGORIES) - 1)

    severe_prone = np.isin(category, [AE_CATEGORY["RESPIRATORY_DEPRESSION"],
                                      AE_CATEGORY["SUICIDAL_BEHAVIOR"]])
    severity = np.where(
        severe_prone,
        rng.choice(3, size=n, p=[0.1, 0.4, 0.5]),
        rng.choice(3, size=n, p=[0.62, 0.31, 0.07]),
    )
    serious = (category == AE_CATEGORY["SUICIDAL_BEHAVIOR"]) | (
        (severity == SEVERITY["SEVERE"]) & (rng.random(n) < 0.5)
    ) | (rng.random(n) < 0.005)

    started = sessions.minute[session]
    soon_after = started + rng.integers(5, 91, n)
    days_later = ((started // MINUTES_PER_DAY + rng.integers(1, 6, n)) * MINUTES_PER_DAY
                  + rng.integers(8 * 60, 22 * 60, n))
    late_kind = np.isin(category, [AE_CATEGORY[c] for c in _LATE_CATEGORIES])
    unlinked = late_kind & (rng.random(n) < P.AE_UNLINKED_SHARE) & (days_later <= LAST_MINUTE)
    minute = np.minimum(np.where(unlinked, days_later, soon_after), LAST_MINUTE)
    return AdverseEvents(
        session=session.astype(np.int32),
        linked=~unlinked,
        patient=sessions.patient[session],
        minute=minute,
        category=category.astype(np.int8),
        severity=severity.astype(np.int8),
        serious=serious,
    )
