"""The bad input a real export carries, injected deliberately at low rates and recorded.

Row-level faults (each makes its record fail the contract, so the registry must
quarantine it): a typo in a code, an out-of-range value, an impossible date, a timestamp
in 2027, a stated total that disagrees with its complete items, two different answers to
one item, a malformed patient key. File-level faults (valid rows the registry must
reconcile): a file re-sent byte for byte under another name, corrected records re-sent
at record_version 2, records withdrawn at record_version 2 with entered_in_error, and
patients whose file arrives after the file of their sessions.

Faults change cells through overrides on the rendered text, so the network's arrays stay
the clean truth; only a duplicated item adds a row. One record carries at most one fault.
"""

from dataclasses import dataclass

import numpy as np

from .clock import EXPORT_DAY, iso_date, timestamp_text
from .contract import AE_CATEGORIES, ENTITIES, ROUTES, SEVERITIES, STATUS
from .items import TOTAL_ITEM, AssessmentRows, administration_ranges
from .network import Network
from .randomness import stream
from .render import ExportFile, Overrides

# Kinds whose records fail the contract's row rules; the others are valid but redundant.
INVALIDATING_KINDS = (
    "CODE_TYPO",
    "OUT_OF_RANGE",
    "IMPOSSIBLE_DATE",
    "FUTURE_TIMESTAMP",
    "TOTAL_MISMATCH",
    "DUPLICATE_ITEM_CONFLICT",
    "MALFORMED_PATIENT_KEY",
)
FAULT_KINDS = INVALIDATING_KINDS + (
    "RESENT_FILE",
    "CORRECTED_VERSION",
    "WITHDRAWN_RECORD",
    "LATE_PATIENT",
)

# Files dated after the main export (the export date) that carry the file-level faults.
LATE_PATIENTS_DAY = EXPORT_DAY + 1
NEW_VERSIONS_DAY = EXPORT_DAY + 2
RESENT_DAY = EXPORT_DAY + 3

_LATE_PATIENT_SHARE = 0.03  # of one site's treated patients
# Share of records per (kind, entity); at least one record whenever there is a candidate.
_RATES = {
    ("CODE_TYPO", "sessions"): 1 / 3000,
    ("CODE_TYPO", "assessments"): 1 / 3000,
    ("CODE_TYPO", "adverse_events"): 1 / 200,
    ("OUT_OF_RANGE", "sessions"): 1 / 4000,
    ("OUT_OF_RANGE", "assessments"): 1 / 4000,
    ("IMPOSSIBLE_DATE", "patients"): 1 / 1000,
    ("IMPOSSIBLE_DATE", "sessions"): 1 / 5000,
    ("FUTURE_TIMESTAMP", "sessions"): 1 / 5000,
    ("FUTURE_TIMESTAMP", "assessments"): 1 / 5000,
    ("TOTAL_MISMATCH", "assessments"): 1 / 2000,
    ("DUPLICATE_ITEM_CONFLICT", "assessments"): 1 / 2000,
    ("MALFORMED_PATIENT_KEY", "patients"): 1 / 1000,
    ("CORRECTED_VERSION", "patients"): 1 / 200,
    ("CORRECTED_VERSION", "sessions"): 1 / 1000,
    ("CORRECTED_VERSION", "assessments"): 1 / 1000,
    ("CORRECTED_VERSION", "adverse_events"): 1 / 50,
    ("WITHDRAWN_RECORD", "patients"): 1 / 500,
    ("WITHDRAWN_RECORD", "sessions"): 1 / 2000,
    ("WITHDRAWN_RECORD", "assessments"): 1 / 2000,
    ("WITHDRAWN_RECORD", "adverse_events"): 1 / 100,
}
_ROUTE_TYPOS = {"IV": "IVV", "IN": "INN", "IM": "I.M.", "SL": "SLL", "PO": "P0"}
_INSTRUMENT_TYPOS = {"PHQ9": "PHQ-9x", "GAD7": "GAD-7x", "CSSRS_SCREEN": "CSSRS-SCREEN"}
_IMPOSSIBLE_MONTH_DAYS = ("02-30", "02-31", "04-31", "06-31", "09-31", "11-31")


@dataclass(frozen=True)
class FaultPlan:
    network: Network  # with the duplicated item rows added
    overrides: dict[str, Overrides]  # entity -> cells changed in its main files
    withheld_patients: np.ndarray  # left out of the main patients file: they arrive late
    later_files: tuple[ExportFile, ...]
    resent: tuple[tuple[str, int], ...]  # (entity, site) of main files sent again
    records: dict[str, list[tuple[str, str]]]  # kind -> (entity, record key as written)


class _Targets:
    """Draws fault targets so that no record gets two faults."""

    def __init__(self, rng: np.random.Generator, sizes: dict[str, int]):
        self._rng = rng
        self._taken = {entity: np.zeros(n, dtype=bool) for entity, n in sizes.items()}

    def draw(self, entity: str, rate: float, candidates: np.ndarray | None = None) -> np.ndarray:
        """About `rate` of the candidates not yet taken, at least one when there are any."""
        taken = self._taken[entity]
        pool = np.arange(len(taken)) if candidates is None else np.asarray(candidates)
        pool = pool[~taken[pool]]
        if len(pool) == 0:
            return pool
        count = max(1, round(rate * len(pool)))
        chosen = np.sort(self._rng.choice(pool, size=count, replace=False))
        taken[chosen] = True
        return chosen


def _future(text: str) -> str:
    future = "2027" + text[4:]
    return future.replace("2027-02-29", "2027-02-28")


class _Injector:
    def __init__(self, net: Network, seed: int):
        self.net = net
        self.rng = stream(seed, "faults")
        self.overrides: dict[str, Overrides] = {entity: {} for entity in ENTITIES}
        self.records: dict[str, list[tuple[str, str]]] = {kind: [] for kind in FAULT_KINDS}
        self.targets = _Targets(self.rng, {
            "patients": len(net.patients),
            "sessions": len(net.sessions),
            "assessments": len(net.administrations),
            "adverse_events": len(net.events),
        })
        self._index_assessment_rows()

    def _index_assessment_rows(self) -> None:
        rows = self.net.assessment_rows
        n_admins = len(self.net.administrations)
        self.admin_first_row, self.admin_row_count = administration_ranges(rows, n_admins)
        is_total = rows.item == TOTAL_ITEM
        self.admin_item_count = np.bincount(rows.administration[~is_total], minlength=n_admins)
        self.admin_has_total = np.bincount(rows.administration[is_total], minlength=n_admins) > 0

    # --- helpers ---------------------------------------------------------------------

    def key(self, entity: str, record: int) -> str:
        ids = {
            "patients": self.net.patient_keys,
            "sessions": self.net.session_ids,
            "assessments": self.net.assessment_ids,
            "adverse_events": self.net.event_ids,
        }[entity]
        return ids[int(record)].as_py()

    def note(self, kind: str, entity: str, records, keys=None) -> None:
        keys = keys if keys is not None else [self.key(entity, r) for r in records]
        self.records[kind].extend((entity, k) for k in keys)

    def set_cell(self, entity: str, column: str, row: int, text: str,
                 overrides: dict[str, Overrides] | None = None) -> None:
        target = self.overrides if overrides is None else overrides
        target[entity].setdefault(column, {})[int(row)] = text

    def admin_rows(self, admin: int) -> np.ndarray:
        start = self.admin_first_row[admin]
        return np.arange(start, start + self.admin_row_count[admin])

    def rows_of(self, entity: str, records: np.ndarray) -> np.ndarray:
        """The table rows of some records: an administration has several."""
        if entity != "assessments" or len(records) == 0:
            return records
        return np.concatenate([self.admin_rows(x) for x in records])

    def item_rows(self, admin: int) -> np.ndarray:
        rows = self.admin_rows(admin)
        return rows[self.net.assessment_rows.item[rows] != TOTAL_ITEM]

    def total_row(self, admin: int) -> int | None:
        rows = self.admin_rows(admin)
        totals = rows[self.net.assessment_rows.item[rows] == TOTAL_ITEM]
        return int(totals[0]) if len(totals) else None

    def instrument(self, admin: int):
        code = self.net.instrument_codes[self.net.administrations.instrument[admin]]
        return self.net.instruments[code]

    # --- row-level faults ------------------------------------------------------------

    def patient_faults(self) -> None:
        net, rng = self.net, self.rng
        for patient in self.targets.draw("patients", _RATES["MALFORMED_PATIENT_KEY", "patients"]):
            key = self.key("patients", patient)
            malformed = rng.choice([key[:4], key[:5] + "#" + key[5:], key.replace("x", " x", 1)])
            self.set_cell("patients", "patient_key", patient, str(malformed))
            self.note("MALFORMED_PATIENT_KEY", "patients", [patient], [str(malformed)])
        for patient in self.targets.draw("patients", _RATES["IMPOSSIBLE_DATE", "patients"]):
            year = iso_date(net.patients.enrolled_day[patient])[:4]
            self.set_cell("patients", "enrolled_on", patient,
                          f"{year}-{rng.choice(_IMPOSSIBLE_MONTH_DAYS)}")
            self.note("IMPOSSIBLE_DATE", "patients", [patient])

    def session_faults(self) -> None:
        s, rng = self.net.sessions, self.rng
        for session in self.targets.draw("sessions", _RATES["CODE_TYPO", "sessions"]):
            self.set_cell("sessions", "route", session, _ROUTE_TYPOS[ROUTES[s.route[session]]])
            self.note("CODE_TYPO", "sessions", [session])
        for session in self.targets.draw("sessions", _RATES["OUT_OF_RANGE", "sessions"]):
            self.set_cell("sessions", "dose_mg", session, "5000")
            self.note("OUT_OF_RANGE", "sessions", [session])
        for session in self.targets.draw("sessions", _RATES["IMPOSSIBLE_DATE", "sessions"]):
            text = timestamp_text(s.minute[session])
            self.set_cell("sessions", "started_at", session,
                          f"{text[:4]}-{rng.choice(_IMPOSSIBLE_MONTH_DAYS)}{text[10:]}")
            self.note("IMPOSSIBLE_DATE", "sessions", [session])
        for session in self.targets.draw("sessions", _RATES["FUTURE_TIMESTAMP", "sessions"]):
            self.set_cell("sessions", "started_at", session,
                          _future(timestamp_text(s.minute[session])))
            self.note("FUTURE_TIMESTAMP", "sessions", [session])

    def duplicate_items(self) -> None:
        """Answers one item twice, differently, in some administrations.

        The second answer goes right after the first, as an export tool would write it;
        this is the one fault that adds rows, so it runs before any fault that points
        at a row.
        """
        rows = self.net.assessment_rows
        admins = self.targets.draw("assessments", _RATES["DUPLICATE_ITEM_CONFLICT", "assessments"],
                                   np.nonzero(self.admin_item_count > 0)[0])
        self.note("DUPLICATE_ITEM_CONFLICT", "assessments", admins)
        if len(admins) == 0:
            return
        original = self.admin_first_row[admins]  # the first item of each
        item_max = np.array([self.instrument(x).item_max for x in admins], dtype=np.int64)
        shift = 1 + self.rng.integers(0, item_max)
        other = (rows.value[original] + shift) % (item_max + 1)  # in range, but different
        at = original + 1
        self.net = self.net.with_assessment_rows(AssessmentRows(
            administration=np.insert(rows.administration, at, rows.administration[original]),
            item=np.insert(rows.item, at, rows.item[original]),
            value=np.insert(rows.value, at, other.astype(rows.value.dtype)),
        ))
        self._index_assessment_rows()

    def assessment_faults(self) -> None:
        net, rng, rows = self.net, self.rng, self.net.assessment_rows
        a = net.administrations
        codes = net.instrument_codes
        for admin in self.targets.draw("assessments", _RATES["CODE_TYPO", "assessments"]):
            code = codes[a.instrument[admin]]
            for row in self.admin_rows(admin):
                self.set_cell("assessments", "instrument", row,
                              _INSTRUMENT_TYPOS.get(code, code + "x"))
            self.note("CODE_TYPO", "assessments", [admin])

        has_items = self.admin_item_count > 0
        phq9 = has_items & (a.instrument == codes.index("PHQ9"))
        for admin in self.targets.draw("assessments", _RATES["OUT_OF_RANGE", "assessments"],
                                       np.nonzero(phq9)[0]):
            self.set_cell("assessments", "value", self.item_rows(admin)[0], "7")
            self.note("OUT_OF_RANGE", "assessments", [admin])

        for admin in self.targets.draw("assessments",
                                       _RATES["FUTURE_TIMESTAMP", "assessments"]):
            text = _future(timestamp_text(a.minute[admin]))
            for row in self.admin_rows(admin):
                self.set_cell("assessments", "administered_at", row, text)
            self.note("FUTURE_TIMESTAMP", "assessments", [admin])

        n_items = np.array([net.instruments[c].n_items or 0 for c in codes])[a.instrument]
        complete_with_total = self.admin_has_total & (self.admin_item_count == n_items)
        for admin in self.targets.draw("assessments", _RATES["TOTAL_MISMATCH", "assessments"],
                                       np.nonzero(complete_with_total)[0]):
            row = self.total_row(admin)
            stated = int(rows.value[row])
            shift = int(rng.choice([-2, -1, 1, 2]))
            if not 0 <= stated + shift <= self.instrument(admin).total_max:
                shift = -shift
            self.set_cell("assessments", "value", row, str(stated + shift))
            self.note("TOTAL_MISMATCH", "assessments", [admin])

    def adverse_event_faults(self) -> None:
        e = self.net.events
        for event in self.targets.draw("adverse_events", _RATES["CODE_TYPO", "adverse_events"]):
            category = AE_CATEGORIES[e.category[event]]
            self.set_cell("adverse_events", "category", event, category[:-1])
            self.note("CODE_TYPO", "adverse_events", [event])

    # --- new versions ----------------------------------------------------------------

    def correctable(self, entity: str) -> np.ndarray | None:
        if entity == "sessions":  # the correction is to the monitoring time
            return np.nonzero(self.net.observations.status != STATUS["CANCELLED"])[0]
        return None

    def corrected_cells(self, entity: str, record: int, into: dict[str, Overrides]) -> None:
        """A plausible correction: one value changed, the record otherwise the same."""
        net = self.net
        if entity == "patients":
            failures = int(net.patients.prior_failures[record])
            self.set_cell(entity, "prior_treatment_failures", record,
                          str(failures + 1 if 0 <= failures < 50 else 1), into)
        elif entity == "sessions":
            monitored = int(net.sessions.monitored_min[record])
            self.set_cell(entity, "monitored_min", record,
                          str(monitored + 15 if monitored >= 0 else 60), into)
        elif entity == "adverse_events":
            severity = SEVERITIES[net.events.severity[record]]
            corrected = {"MILD": "MODERATE", "MODERATE": "SEVERE", "SEVERE": "MODERATE"}[severity]
            self.set_cell(entity, "severity", record, corrected, into)
        else:
            self._corrected_answer(record, into)

    def _corrected_answer(self, admin: int, into: dict[str, Overrides]) -> None:
        rows = self.net.assessment_rows
        instrument = self.instrument(admin)
        items, total = self.item_rows(admin), self.total_row(admin)
        row = int(items[0]) if len(items) else total
        top = instrument.item_max if len(items) else instrument.total_max
        value = int(rows.value[row])
        shift = 1 if value < top else -1
        self.set_cell("assessments", "value", row, str(value + shift), into)
        if len(items) and total is not None:
            self.set_cell("assessments", "value", total, str(int(rows.value[total]) + shift), into)

    def new_versions(self) -> list[ExportFile]:
        net = self.net
        files = []
        for entity in ENTITIES:
            corrected = self.targets.draw(entity, _RATES["CORRECTED_VERSION", entity],
                                          self.correctable(entity))
            withdrawn = self.targets.draw(entity, _RATES["WITHDRAWN_RECORD", entity])
            self.note("CORRECTED_VERSION", entity, corrected)
            self.note("WITHDRAWN_RECORD", entity, withdrawn)
            into: dict[str, Overrides] = {entity: {}}
            for record in corrected:
                self.corrected_cells(entity, record, into)
            corrected_rows, withdrawn_rows = self.rows_of(entity, corrected), self.rows_of(
                entity, withdrawn)
            records = net.in_file_order(entity, np.concatenate([corrected_rows, withdrawn_rows]))
            is_withdrawn = np.isin(records, withdrawn_rows)
            site = net.site_of_rows(entity)[records]
            for s in np.unique(site):
                here = site == s
                files.append(ExportFile(
                    entity=entity, site=int(s), day=NEW_VERSIONS_DAY, rows=records[here],
                    version=np.full(int(here.sum()), 2, dtype=np.int16),
                    withdrawn=is_withdrawn[here], overrides=into[entity],
                ))
        return files


def _late_patients(net: Network, targets: _Targets, rng: np.random.Generator) -> np.ndarray:
    """Treated patients of one site whose patient rows come in a later file."""
    treated = np.zeros(len(net.patients), dtype=bool)
    treated[net.sessions.patient] = True
    site = int(rng.integers(len(net.sites)))
    candidates = np.nonzero(treated & (net.patients.site == site))[0]
    return targets.draw("patients", _LATE_PATIENT_SHARE, candidates)


def plan_faults(net: Network, seed: int) -> FaultPlan:
    injector = _Injector(net, seed)
    late = _late_patients(net, injector.targets, injector.rng)
    injector.note("LATE_PATIENT", "patients", late)
    injector.patient_faults()
    injector.session_faults()
    injector.duplicate_items()
    injector.assessment_faults()
    injector.adverse_event_faults()
    later_files = injector.new_versions()
    if len(late):
        later_files.insert(0, ExportFile(entity="patients", site=int(net.patients.site[late[0]]),
                                        day=LATE_PATIENTS_DAY, rows=late))

    # Re-send some main files unchanged: one per three sites, at least one.
    sites_with_rows = {entity: np.unique(net.site_of_rows(entity)) for entity in ENTITIES}
    sites_with_rows["patients"] = np.unique(np.delete(net.patients.site, late))
    main_files = [(entity, int(site)) for entity in ENTITIES for site in sites_with_rows[entity]]
    picks = injector.rng.choice(len(main_files), size=max(1, len(net.sites) // 3),
                                replace=False)
    resent = tuple(main_files[i] for i in np.sort(picks))
    return FaultPlan(
        network=injector.net,
        overrides=injector.overrides,
        withheld_patients=late,
        later_files=tuple(later_files),
        resent=resent,
        records=injector.records,
    )
