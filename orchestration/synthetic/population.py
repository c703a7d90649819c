"""Patients of the network: site, demographics, indication and what drives their data later."""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import parameters as P
from .clock import EXPORT_DAY, calendar_year
from .contract import INDICATION, SEXES
from .identifiers import patient_keys
from .randomness import stream


@dataclass(frozen=True)
class Patients:
    site: np.ndarray  # index into the network's site names
    enrolled_day: np.ndarray
    birth_year: np.ndarray
    sex: np.ndarray  # index into contract.SEXES
    indication: np.ndarray  # index into contract.INDICATIONS
    prior_failures: np.ndarray  # -1: not recorded
    weight_tenths_kg: np.ndarray
    suicidal_prone: np.ndarray  # recurring suicidal thoughts: PHQ-9 item 9, C-SSRS positives
    sbp_usual: np.ndarray
    dbp_usual: np.ndarray
    hr_usual: np.ndarray
    dissociation_shift: np.ndarray  # added to the route's dissociation rate; mean zero

    def __len__(self) -> int:
        return len(self.site)


def draw_patients(n: int, n_sites: int, seed: int) -> tuple[Patients, pa.StringArray]:
    """The patients, ordered by site and enrolment, and their pseudonymous keys."""
    rng = stream(seed, "patients")
    site_weight = 0.5 + rng.random(n_sites)
    site = rng.choice(n_sites, size=n, p=site_weight / site_weight.sum())
    enrolment_span = P.ENROLMENT_WINDOW_DAYS - 3
    enrolled_day = (
        EXPORT_DAY - P.ENROLMENT_WINDOW_DAYS
        + np.floor(enrolment_span * rng.random(n) ** P.ENROLMENT_GROWTH_EXPONENT)
    ).astype(np.int32)
    order = np.lexsort((enrolled_day, site))
    site, enrolled_day = site[order].astype(np.int16), enrolled_day[order]

    age = np.clip(np.rint(rng.normal(P.AGE_MEAN, P.AGE_SD, n)), P.AGE_MIN, P.AGE_MAX)
    indication = rng.choice(
        len(P.INDICATION_MIX), size=n, p=list(P.INDICATION_MIX.values())
    ).astype(np.int8)
    # Treatment-resistant depression means at least two failed trials by definition.
    is_trd = indication == INDICATION["TRD"]
    prior_failures = np.where(is_trd, 2 + rng.poisson(1.5, n), rng.poisson(1.2, n))
    prior_failures = np.where(rng.random(n) < P.PRIOR_FAILURES_MISSING, -1,
                              np.minimum(prior_failures, 50))
    weight = np.clip(rng.normal(P.WEIGHT_KG_MEAN, P.WEIGHT_KG_SD, n),
                     P.WEIGHT_KG_MIN, P.WEIGHT_KG_MAX)
    patients = Patients(
        site=site,
        enrolled_day=enrolled_day,
        birth_year=(calendar_year(enrolled_day) - age - (rng.random(n) < 0.5)).astype(np.int16),
        sex=rng.choice(len(SEXES), size=n, p=[P.SEX_MIX[s] for s in SEXES]).astype(np.int8),
        indication=indication,
        prior_failures=prior_failures.astype(np.int16),
        weight_tenths_kg=np.rint(weight * 10).astype(np.int16),
        suicidal_prone=(indication == INDICATION["SUICIDAL_IDEATION"])
        | (rng.random(n) < P.SUICIDAL_PRONE_SHARE),
        sbp_usual=np.clip(rng.normal(126, 13, n), 95, 175),
        dbp_usual=np.clip(rng.normal(78, 7, n), 55, 100),
        hr_usual=np.clip(rng.normal(74, 10, n), 50, 110),
        dissociation_shift=np.clip(rng.normal(0, P.DISSOCIATION_PATIENT_SD, n), -0.2, 0.2),
    )
    return patients, patient_keys(n, seed, rng)
