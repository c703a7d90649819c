"""What each display says about the definition it used, worded from the snapshot.

The thresholds come from the same seeds (instrument_catalog,
indication_primary_instrument) and dbt vars (marts.definitions) that the
models used, so a clinic that changes a threshold sees its own wording.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from dashboards import data, queries


@dataclass(frozen=True)
class Definitions:
    catalog: pd.DataFrame
    indication_map: pd.DataFrame
    registry_vars: dict[str, str]

    def var(self, name: str, default: str) -> str:
        return self.registry_vars.get(name, default)

    @property
    def wilson_z(self) -> float:
        return float(self.var("wilson_z", "1.959964"))

    def _instrument_groups(self, instruments: Iterable[str] | None) -> list[tuple[str, list[str]]]:
        """(instrument, [indications]) for each primary instrument in use, PHQ9 first."""
        mapping = self.indication_map
        if instruments is not None:
            mapping = mapping[mapping["primary_instrument"].isin(list(instruments))]
        groups = mapping.groupby("primary_instrument", sort=False)["indication"].apply(list)
        order = sorted(groups.index, key=lambda i: (i != "PHQ9", i))
        return [(i, groups[i]) for i in order]

    def threshold(self, instrument: str, column: str) -> float | None:
        rows = self.catalog.loc[self.catalog["instrument"] == instrument, column]
        return None if rows.empty or pd.isna(rows.iloc[0]) else float(rows.iloc[0])

    def response(self, instruments: Iterable[str] | None = None) -> str:
        parts = [
            f"≥{self.threshold(i, 'response_reduction'):.0%} drop from baseline on {i} "
            f"({', '.join(indications)})"
            for i, indications in self._instrument_groups(instruments)
            if self.threshold(i, "response_reduction") is not None
        ]
        return "Response, on each course's primary instrument: " + \
            ("; ".join(parts) or "no primary instrument defined") + "."

    def remission(self, instruments: Iterable[str] | None = None) -> str:
        parts = [
            f"endpoint ≤{self.threshold(i, 'remission_max'):.0f} on {i} ({', '.join(indications)})"
            for i, indications in self._instrument_groups(instruments)
            if self.threshold(i, "remission_max") is not None
        ]
        return "Remission, on the same instrument: " + \
            ("; ".join(parts) or "no primary instrument defined") + "."

    def denominators(self) -> str:
        return (
            "ITT: courses with a baseline at least the instrument's minimum that started at "
            f"least {self.var('itt_horizon_days', '56')} days before the as-of date; a course "
            "without an endpoint counts as not responded and not remitted. COMPLETER: ITT courses "
            "with an endpoint (the last score on days "
            f"{self.var('endpoint_window_start_days', '14')}–"
            f"{self.var('endpoint_window_end_days', '56')} after the first dose). Follow-up rate "
            f"= COMPLETER / ITT. Intervals: 95% Wilson (z = {self.var('wilson_z', '1.959964')})."
        )

    def outcome_rates(self, instruments: Iterable[str] | None = None) -> str:
        return " ".join([self.response(instruments), self.remission(instruments),
                         self.denominators()])

    def bp_excursion(self) -> str:
        return (
            "BP excursion: a countable session with peak systolic ≥"
            f"{self.var('bp_excursion_sbp_peak_min', '180')} or diastolic ≥"
            f"{self.var('bp_excursion_dbp_peak_min', '110')} mmHg, or a rise over the pre-dose "
            f"reading of ≥{self.var('bp_excursion_sbp_rise_min', '40')} systolic or ≥"
            f"{self.var('bp_excursion_dbp_rise_min', '25')} diastolic; a missing reading never "
            "counts."
        )


SIDE_EFFECT_RATES = (
    "Per session: countable sessions (completed or terminated early) that list the effect / "
    "countable sessions, by the session's own site and route. Per course: courses with at least "
    "one such session / courses, by the course's first-session site and route. 95% Wilson "
    "intervals."
)
ADVERSE_EVENT_RATES = (
    "Adverse events per 1,000 countable sessions of the same site (every current event of a "
    "known patient counts; the denominator is countable sessions)."
)
SAFETY_FLAGS = (
    "Safety flag: a PHQ-9 with item 9 (thoughts of self-harm) of 1 or more (level = the item "
    "value), or a C-SSRS screen whose risk level is not NONE (level LOW, MODERATE or HIGH), "
    "scorable or not."
)
DISSOCIATION = (
    "Dissociation: the session's CADSS total (0–92); dose in mg/kg is the session's dose_mg over "
    "weight_kg. Median with interquartile range."
)
P_CHART = (
    "p-chart: centre line p̄ = all events / all denominators of the months shown; limits "
    "p̄ ± 3·√(p̄(1−p̄)/nᵢ) for each month, floored at 0 and capped at 1. Marked: months beyond a "
    "limit, and runs of 8 or more consecutive months on one side of the centre line."
)


def definitions_in_force() -> Definitions:
    """The definitions of the current snapshot (empty wording when it has none)."""
    try:
        catalog = data.fetch(queries.instrument_catalog)
        indication_map = data.fetch(queries.indication_primary_instrument)
        registry = data.fetch(queries.definitions)
    except data.MissingTables:
        return Definitions(pd.DataFrame(columns=["instrument"]),
                           pd.DataFrame(columns=["indication", "primary_instrument"]), {})
    registry_vars = dict(zip(
        registry.loc[registry["scope"] == "ALL", "definition"],
        registry.loc[registry["scope"] == "ALL", "value"], strict=True))
    return Definitions(catalog, indication_map, registry_vars)
