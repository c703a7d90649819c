"""Rows of the network as the export's cells: one Arrow column per contract column.

Codes become dictionary columns and numbers integer columns, so formatting millions of
rows costs little; every cell reads exactly as the contract (and the example) writes it.
Missing values are nulls, written as empty cells. `overrides` replace single cells with
other text, which is how the deliberate faults get into otherwise clean rows.
"""

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .clock import date_texts, timestamp_texts
from .contract import (
    AE_CATEGORIES,
    COLUMNS,
    INDICATIONS,
    ROUTE,
    ROUTES,
    SEVERITIES,
    SEXES,
    SIDE_EFFECTS,
    STATUSES,
)
from .items import TOTAL_ITEM
from .network import Network
from .vitals import VITAL_COLUMNS

# column -> {global row index -> the text written instead}
Overrides = dict[str, dict[int, str]]

_BOOLEANS = pa.array(["false", "true"])


@dataclass(frozen=True)
class ExportFile:
    """What one file holds: rows of an entity from one site, as of a day."""

    entity: str
    site: int
    day: int
    rows: np.ndarray  # in file order
    version: np.ndarray | None = None  # record_version per row; None: all 1
    withdrawn: np.ndarray | None = None  # entered_in_error per row; None: all false
    overrides: Overrides = field(default_factory=dict)


def _codes(index: np.ndarray, vocabulary, mask: np.ndarray | None = None) -> pa.Array:
    dictionary = vocabulary if isinstance(vocabulary, pa.Array) else pa.array(vocabulary)
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32), mask=mask), dictionary)


def _optional_int(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=values < 0)


def _tenths(values: np.ndarray) -> pa.Array:
    """Numbers kept in tenths (weights) written with one decimal, e.g. `68.0`."""
    distinct, index = np.unique(values, return_inverse=True)
    texts = [f"{v // 10}.{v % 10}" for v in distinct.tolist()]
    return _codes(index, texts, mask=values < 0)


def _side_effects(effects: np.ndarray) -> pa.Array:
    """`;`-joined effects in contract order; null when there are none."""
    bits = effects.astype(np.int64) @ (1 << np.arange(len(SIDE_EFFECTS), dtype=np.int64))
    distinct, index = np.unique(bits, return_inverse=True)
    texts = [";".join(e for i, e in enumerate(SIDE_EFFECTS) if b >> i & 1) for b in distinct]
    return _codes(index, texts, mask=bits == 0)


def _patients(net: Network, rows: np.ndarray) -> dict[str, pa.Array]:
    p = net.patients
    return {
        "patient_key": net.patient_keys.take(pa.array(rows)),
        "site_id": _codes(p.site[rows], net.sites),
        "birth_year": pa.array(p.birth_year[rows]),
        "sex": _codes(p.sex[rows], SEXES),
        "primary_indication": _codes(p.indication[rows], INDICATIONS),
        "prior_treatment_failures": _optional_int(p.prior_failures[rows]),
        "enrolled_on": date_texts(p.enrolled_day[rows]),
    }


def _sessions(net: Network, rows: np.ndarray) -> dict[str, pa.Array]:
    s, o = net.sessions, net.observations
    route = s.route[rows]
    columns = {
        "session_id": net.session_ids.take(pa.array(rows)),
        "patient_key": net.patient_keys.take(pa.array(s.patient[rows])),
        "site_id": _codes(net.patients.site[s.patient[rows]], net.sites),
        "started_at": timestamp_texts(s.minute[rows]),
        "route": _codes(route, ROUTES),
        "drug": _codes((route == ROUTE["IN"]).astype(np.int8), ("KETAMINE", "ESKETAMINE")),
        "dose_mg": pa.array(s.dose_mg[rows]),
        "weight_kg": _tenths(s.weight_tenths_kg[rows]),
        "duration_min": _optional_int(o.duration_min[rows]),
        "monitored_min": _optional_int(s.monitored_min[rows]),
        "status": _codes(o.status[rows], STATUSES),
    }
    columns.update({name: _optional_int(o.vitals[name][rows]) for name in VITAL_COLUMNS})
    columns["side_effects"] = _side_effects(o.effects[rows])
    return columns


def _assessments(net: Network, rows: np.ndarray) -> dict[str, pa.Array]:
    a, r = net.administrations, net.assessment_rows
    admin = r.administration[rows]
    # Rows come in runs, one per administration: format each administration's cells once
    # and let every row of the run point at them.
    first_of_run = np.r_[True, admin[1:] != admin[:-1]] if len(rows) else np.zeros(0, bool)
    run = np.cumsum(first_of_run) - 1
    heads = admin[first_of_run]

    def per_administration(values: pa.Array) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(run.astype(np.int32)), values)

    max_items = max(i.n_items or 0 for i in net.instruments.values())
    item_texts = ["total" if k == TOTAL_ITEM else str(k) for k in range(max_items + 1)]
    return {
        "assessment_id": per_administration(net.assessment_ids.take(pa.array(heads))),
        "patient_key": per_administration(net.patient_keys.take(pa.array(a.patient[heads]))),
        "site_id": _codes(net.patients.site[a.patient[admin]], net.sites),
        "instrument": _codes(a.instrument[admin], net.instrument_codes),
        "administered_at": per_administration(timestamp_texts(a.minute[heads])),
        "item": _codes(r.item[rows], item_texts),
        "value": pa.array(r.value[rows]),
    }


def _adverse_events(net: Network, rows: np.ndarray) -> dict[str, pa.Array]:
    e = net.events
    session_id = net.session_ids.take(pa.array(e.session[rows]))
    return {
        "event_id": net.event_ids.take(pa.array(rows)),
        "patient_key": net.patient_keys.take(pa.array(e.patient[rows])),
        "site_id": _codes(net.patients.site[e.patient[rows]], net.sites),
        "session_id": pc.if_else(pa.array(e.linked[rows]), session_id, pa.nulls(len(rows),
                                                                               pa.string())),
        "onset_at": timestamp_texts(e.minute[rows]),
        "category": _codes(e.category[rows], AE_CATEGORIES),
        "severity": _codes(e.severity[rows], SEVERITIES),
        "serious": _codes(e.serious[rows].astype(np.int8), _BOOLEANS),
    }


_RENDERERS = {
    "patients": _patients,
    "sessions": _sessions,
    "assessments": _assessments,
    "adverse_events": _adverse_events,
}


def _apply(column: pa.Array, rows: np.ndarray, replaced: dict[int, str]) -> pa.Array:
    hit = np.isin(rows, np.fromiter(replaced, dtype=np.int64, count=len(replaced)))
    if not hit.any():
        return column
    # Append the new texts to the column's dictionary and point the hit rows at them:
    # far cheaper than turning a column of millions of cells into strings.
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    valid = column.indices.is_valid().to_numpy(zero_copy_only=False) | hit
    indices = column.indices.fill_null(0).to_numpy().astype(np.int32)
    indices[hit] = len(column.dictionary) + np.arange(int(hit.sum()), dtype=np.int32)
    texts = pa.array([replaced[int(r)] for r in rows[hit]], pa.string())
    dictionary = pa.concat_arrays([column.dictionary.cast(pa.string()), texts])
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=~valid), dictionary)


def render(file: ExportFile, net: Network) -> dict[str, pa.Array]:
    """The contract's columns, in order, for the rows of a file."""
    rows, n = file.rows, len(file.rows)
    columns = _RENDERERS[file.entity](net, rows)
    columns["record_version"] = pa.array(
        np.ones(n, np.int16) if file.version is None else file.version
    )
    columns["entered_in_error"] = _codes(
        np.zeros(n, np.int8) if file.withdrawn is None else file.withdrawn.astype(np.int8),
        _BOOLEANS,
    )
    for name, replaced in file.overrides.items():
        if replaced:
            columns[name] = _apply(columns[name], rows, replaced)
    return {name: columns[name] for name in COLUMNS[file.entity]}
