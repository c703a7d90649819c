"""Safety: side effects, blood-pressure excursions, early terminations, adverse events and
dissociation."""

import streamlit as st

from dashboards import charts, data, queries, rates, ui, wording
from dashboards.suppression import ALL

SIDE_EFFECT_COLUMNS = [
    "route", "effect", "effect_order",
    "n_sessions", "n_sessions_with_effect", "session_rate", "session_ci_low", "session_ci_high",
    "n_courses", "n_courses_with_effect", "course_rate", "course_ci_low", "course_ci_high",
]
ADVERSE_EVENT_COLUMNS = ["category", "severity", "n_events", "n_patients", "n_sessions",
                         "events_per_1000_sessions"]
QUARTILES = ["cadss_q1", "cadss_median", "cadss_q3"]

st.title("Safety")
definitions = wording.definitions_in_force()

site = ui.site_picker(key="safety-site")

with ui.section("Side effects by route"):
    counts = data.fetch_safe(queries.side_effect_counts, scope=site)
    effects = rates.with_rate(counts, "n_sessions_with_effect", "n_sessions", "session",
                              definitions.wilson_z)
    effects = rates.with_rate(effects, "n_courses_with_effect", "n_courses", "course",
                              definitions.wilson_z).select(SIDE_EFFECT_COLUMNS)
    by_route = effects.where(effects.values["route"] != ALL)
    per_session, per_course = st.tabs(["Per session", "Per course"])
    with per_session:
        ui.chart(by_route, charts.interval_bars, name="side_effects_per_session",
                 empty="No countable session at this site yet.",
                 x="effect", value="session_rate", low="session_ci_low", high="session_ci_high",
                 colour="route", y_title="Share of countable sessions")
    with per_course:
        ui.chart(by_route, charts.interval_bars, name="side_effects_per_course",
                 empty="No course at this site yet.",
                 x="effect", value="course_rate", low="course_ci_low", high="course_ci_high",
                 colour="route", y_title="Share of courses")
    ui.table(effects, name="side_effect_rates", empty="No countable session at this site yet.")
    ui.definition(wording.SIDE_EFFECT_RATES)

    st.subheader("Blood-pressure excursions and early terminations")
    watched = effects.where(effects.values["effect"].isin(["BP_EXCURSION", "TERMINATED_EARLY"]))
    ui.chart(watched, charts.interval_bars, name="bp_excursions_and_early_terminations",
             empty="No countable session at this site yet.",
             x="route", value="session_rate", low="session_ci_low", high="session_ci_high",
             colour="effect", y_title="Share of countable sessions")
    ui.definition(definitions.bp_excursion() + " Early termination: a session with status "
                  "TERMINATED_EARLY.")

with ui.section("Adverse events per 1,000 sessions by category and severity"):
    counts = data.fetch_safe(queries.adverse_event_counts, scope=site)
    counts = rates.with_ratio(counts, "n_events", "n_sessions", "events_per_1000_sessions",
                              1000.0)
    seriousness = counts.values["seriousness"]
    events = counts.where(seriousness == ALL).select(ADVERSE_EVENT_COLUMNS)
    detail = events.where((events.values["category"] != ALL)
                          & (events.values["severity"] != ALL))
    ui.chart(detail, charts.count_bars, name="adverse_events_per_1000",
             empty="No countable session at this site yet.",
             x="category", y="events_per_1000_sessions", colour="severity",
             y_title="Events per 1,000 countable sessions")
    ui.table(events, name="adverse_event_rates", empty="No countable session at this site yet.")
    serious = counts.where((seriousness == "SERIOUS") & (counts.values["severity"] == ALL))
    st.markdown("**Serious adverse events**")
    ui.table(serious.select(ADVERSE_EVENT_COLUMNS), name="serious_adverse_events",
             empty="No countable session at this site yet.")
    ui.definition(wording.ADVERSE_EVENT_RATES)

dissociation = None
with ui.section("Dissociation (CADSS) by route"):
    dissociation = data.fetch_safe(queries.dissociation, scope=site)
    by_route = dissociation.where(dissociation.values["dose_bin"] == ALL) \
        .select(["route", "n_sessions", *QUARTILES])
    ui.chart(by_route, charts.interval_bars, name="dissociation_by_route",
             empty="No session with a CADSS score at this site yet.",
             x="route", value="cadss_median", low="cadss_q1", high="cadss_q3", colour="route",
             y_title="CADSS total (median, IQR)", y_percent=False)
    ui.table(by_route, name="dissociation_by_route_table",
             empty="No session with a CADSS score at this site yet.")
    ui.definition(wording.DISSOCIATION)

with ui.section("Dissociation (CADSS) by dose"):
    if dissociation is None:
        dissociation = data.fetch_safe(queries.dissociation, scope=site)
    by_dose = dissociation.where(~dissociation.values["dose_bin"].isin([ALL, queries.NO_DOSE])) \
        .select(["route", "dose_bin_mg_per_kg", "n_sessions", *QUARTILES])
    ui.chart(by_dose, charts.median_bands, name="dissociation_by_dose",
             empty="No session with a CADSS score and a weight at this site yet.",
             x="dose_bin_mg_per_kg", median="cadss_median", q1="cadss_q1", q3="cadss_q3",
             group="route", x_title="Dose, mg/kg (bins of 0.1; the last bin is open)",
             y_title="CADSS total (median, IQR)")
    ui.definition(wording.DISSOCIATION)
