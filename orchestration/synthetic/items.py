"""Item answers for each administration: items that add up to its total, gaps, total rows.

A total is spread over the items by drawing, without replacement, `total` of the
instrument's `n_items * item_max` answer points, each item's points weighted by how much
that item tends to carry (PHQ-9 item 9 rarely, unless the patient is prone to suicidal
thoughts). The result sums to the total exactly and never exceeds an item's maximum.
"""

from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .arrays import stack
from .assessments import CSSRS_CODE, Administrations
from .catalog import Instrument
from .population import Patients
from .randomness import stream

TOTAL_ITEM = 0  # the `item` code of a `total` row; items are 1..n
_CHUNK = 200_000  # administrations per block, to bound the point matrix's memory


@dataclass(frozen=True)
class AssessmentRows:
    administration: np.ndarray
    item: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.administration)


def administration_ranges(rows: AssessmentRows, n_admins: int) -> tuple[np.ndarray, np.ndarray]:
    """First row and row count of each administration.

    The rows of one administration are always contiguous (answer_items writes them so and
    the faults insert a duplicated item next to its original), so no sort is needed.
    """
    n = len(rows)
    starts = np.flatnonzero(np.r_[True, rows.administration[1:] != rows.administration[:-1]])
    first = np.zeros(n_admins, dtype=np.int64)
    count = np.zeros(n_admins, dtype=np.int64)
    if n:
        owner = rows.administration[starts]
        first[owner] = starts
        count[owner] = np.diff(np.r_[starts, n])
    return first, count


def split_totals(totals: np.ndarray, weights: np.ndarray, item_max: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Item values (rows x items) in 0..item_max with row sums equal to `totals`."""
    values = np.empty(weights.shape, dtype=np.int16)
    n_items = weights.shape[1]
    points = n_items * item_max
    for start in range(0, len(totals), _CHUNK):
        block = slice(start, start + _CHUNK)
        point_weights = np.repeat(weights[block], item_max, axis=1)
        # Efraimidis-Spirakis: the `total` largest log(u) / w form a weighted sample.
        keys = np.log(rng.random(point_weights.shape)) / point_weights
        ordered = np.sort(keys, axis=1)
        total = totals[block].astype(np.int64)
        threshold = ordered[np.arange(len(total)), points - np.maximum(total, 1)]
        chosen = (keys >= threshold[:, None]) & (total[:, None] > 0)
        values[block] = chosen.reshape(len(total), n_items, item_max).sum(axis=2)
    return values


def _item_weights(code: str, n_items: int, prone: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    if code == "PHQ9":
        base = np.tile(np.array(P.PHQ9_ITEM_WEIGHTS), (len(prone), 1))
        base[:, 8] = np.where(prone, P.PHQ9_ITEM9_WEIGHT_PRONE, base[:, 8])
    else:
        base = np.ones((len(prone), n_items))
    return base * rng.lognormal(0.0, P.ITEM_WEIGHT_NOISE, base.shape)


def _cssrs_items(risk: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Screen answers consistent with the risk level of outcomes.md (items 1..6, 0/1)."""
    n = len(risk)
    items = np.zeros((n, 6), dtype=np.int16)
    items[:, 0] = risk >= 1
    items[:, 1] = (risk >= 2) | ((risk == 1) & (rng.random(n) < 0.35))
    items[:, 2] = (risk == 2) | ((risk == 3) & (rng.random(n) < 0.7))
    behaviour = rng.choice(3, size=n, p=[0.45, 0.25, 0.30])  # item 4, 5 or 6
    for k in range(3):
        items[:, 3 + k] = (risk == 3) & ((behaviour == k) | (rng.random(n) < 0.15))
    return items


def _missing_counts(instrument: Instrument, n: int, rng: np.random.Generator) -> np.ndarray:
    if instrument.n_items == 1:
        return np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    too_many = instrument.max_missing_items + rng.integers(1, 3, n)
    return np.select(
        [u < P.TOO_MANY_MISSING, u < P.TOO_MANY_MISSING + P.ONE_ITEM_MISSING],
        [np.minimum(too_many, instrument.n_items - 1), 1],
        0,
    )


def answer_items(admins: Administrations, instruments: dict[str, Instrument],
                 patients: Patients, seed: int) -> AssessmentRows:
    rng = stream(seed, "items")
    codes = tuple(instruments)
    parts = []
    for index, code in enumerate(codes):
        admin = np.nonzero(admins.instrument == index)[0]
        if len(admin) == 0:
            continue
        instrument = instruments[code]
        n_items = instrument.n_items
        if code == CSSRS_CODE:
            values = _cssrs_items(admins.score[admin], rng)
        else:
            prone = patients.suicidal_prone[admins.patient[admin]]
            weights = _item_weights(code, n_items, prone, rng)
            values = split_totals(admins.score[admin], weights, instrument.item_max, rng)

        missing = _missing_counts(instrument, len(admin), rng)
        present = np.argsort(np.argsort(rng.random(values.shape), axis=1), axis=1)
        present = present >= missing[:, None]
        has_total = instrument.total_max is not None
        total_only = has_total & (rng.random(len(admin)) < P.TOTAL_ONLY_SHARE)
        present &= ~total_only[:, None]
        with_total = total_only | (
            has_total & (missing == 0) & (rng.random(len(admin)) < P.TOTAL_ROW_SHARE)
        )

        # The total goes in a last column, so every administration's rows come out together,
        # items in order, then the total.
        present = np.hstack([present, with_total[:, None]])
        values = np.hstack([values, values.sum(axis=1, keepdims=True)])
        row, column = np.nonzero(present)
        parts.append(AssessmentRows(
            administration=admin[row].astype(np.int32),
            item=np.where(column < n_items, column + 1, TOTAL_ITEM).astype(np.int8),
            value=values[row, column].astype(np.int16),
        ))
    return stack(parts)
