"""Definitions: the thresholds, windows and instruments the published numbers were built with."""

import streamlit as st

from dashboards import data, queries, ui, wording

st.title("Definitions")
st.markdown("Read from the published snapshot: the same dbt seeds and vars the models used. "
            "A clinic changes them in `dbt_project/` (seeds, or vars in `dbt_project.yml`) and "
            "every number follows at the next run.")
definitions = wording.definitions_in_force()

with ui.section("Rates"):
    st.markdown("\n".join(f"- {line}" for line in [
        definitions.response(), definitions.remission(), definitions.denominators(),
        definitions.bp_excursion(), wording.SIDE_EFFECT_RATES, wording.ADVERSE_EVENT_RATES,
        wording.SAFETY_FLAGS, wording.DISSOCIATION, wording.P_CHART,
    ]))

SEEDS = [
    ("Windows, thresholds and instrument rules in force", queries.definitions, "definitions"),
    ("Instruments", queries.instrument_catalog, "instrument_catalog"),
    ("Primary instrument of each indication", queries.indication_primary_instrument,
     "indication_primary_instrument"),
    ("Severity bands", queries.severity_bands, "severity_bands"),
    ("Session effects", queries.session_effects, "session_effects"),
    ("Adverse event categories", queries.adverse_event_categories, "adverse_event_categories"),
]
for title, query, name in SEEDS:
    with ui.section(title):
        ui.table(data.fetch_safe(query), name=name, empty=f"The snapshot's {name} is empty.")
