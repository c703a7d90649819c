"""Overview: how much treatment, how well it works, what needs attention, how fresh.

The whole network's numbers by default, for every role (a benchmark for a site
role); or one site's, under the site picker.
"""

import pandas as pd
import streamlit as st

from dashboards import charts, data, queries, rates, ui, wording
from dashboards.access import session
from dashboards.suppression import ALL, concat

RECENT_FLAG_DAYS = 30
NETWORK_RATE_COLUMNS = [*rates.OUTCOME_RATE_COLUMNS, "primary_instruments"]

st.title("Overview")
definitions = wording.definitions_in_force()
viewer = session.current_viewer()
site = ui.site_picker(key="overview-site")
where = "whole network" if site == ALL else site
if site == ALL and viewer is not None and not viewer.is_network:
    st.caption("The whole network's numbers, as a benchmark: counts from other sites that "
               "could identify a few patients are not shown.")

with ui.section("Data freshness"):
    freshness = data.fetch_safe(queries.freshness)
    row = freshness.values.iloc[0] if not freshness.empty else None
    if row is None or pd.isna(row["as_of_date"]):
        ui.empty_state("No as-of date yet: the snapshot holds no countable session or scorable "
                       "administration.")
    if row is not None:
        as_of, loaded, built = st.columns(3)
        as_of.metric("As-of date", ui.when(row["as_of_date"], "%Y-%m-%d"),
                     help="The latest date of any countable session or scorable administration; "
                          "outcome windows are measured against it.")
        loaded.metric("Last file loaded", ui.when(row["last_loaded_at"], "%Y-%m-%d %H:%M"))
        built.metric("Models built", ui.when(row["built_at_utc"], "%Y-%m-%d %H:%M UTC"))
        ui.download(freshness, "freshness")

with ui.section(f"Response and remission, {where}"):
    counts = data.fetch_safe(queries.outcome_counts, scope=site, start=None, end=None, routes=(),
                             indications=())
    network = counts.where((counts.values["route"] == ALL)
                           & (counts.values["indication"] == ALL))
    if network.empty:
        ui.empty_state("No course is ITT-eligible yet: a course counts once it has a baseline "
                       "score and started at least "
                       f"{definitions.var('itt_horizon_days', '56')} days before the as-of date.")
    else:
        network_rates = concat([
            rates.safe_outcome_rates(network, denominator, definitions.wilson_z)
            for denominator in ("ITT", "COMPLETER")]).select(NETWORK_RATE_COLUMNS)
        shown = network_rates.display().set_index("denominator")
        values = network_rates.values.set_index("denominator")
        for denominator in values.index:
            v, d = values.loc[denominator], shown.loc[denominator]
            courses, response, remission, follow_up = st.columns(4)
            courses.metric(f"{denominator} courses", ui.count_text(d["n_courses"]))
            ui.rate_metric(response, f"Response ({denominator})", v["response_rate"],
                           v["response_ci_low"], v["response_ci_high"])
            ui.rate_metric(remission, f"Remission ({denominator})", v["remission_rate"],
                           v["remission_ci_low"], v["remission_ci_high"])
            if denominator == "ITT":
                ui.rate_metric(follow_up, "Follow-up rate (completer / ITT)",
                               v["follow_up_rate"], v["follow_up_ci_low"],
                               v["follow_up_ci_high"])
        ui.table(network_rates, name="network_outcome_rates", empty="")
        ui.definition(definitions.outcome_rates())

with ui.section("Patients and courses by month of course start"):
    monthly = data.fetch_safe(queries.courses_by_month, scope=site)
    ui.chart(monthly, charts.grouped_counts, name="courses_by_month",
             empty="No treatment course in the snapshot yet.",
             x="month", series={"n_patients": "Patients starting a course", "n_courses": "Courses"},
             y_title="Count",
             caption="A course starts at a patient's first countable session and after every gap "
                     f"of more than {definitions.var('course_gap_days', '60')} days.")

with ui.section(f"Safety flags of the last {RECENT_FLAG_DAYS} days"):
    flags = data.fetch_safe(queries.recent_safety_flags, scope=site, days=RECENT_FLAG_DAYS)
    reason, level = flags.values["reason"], flags.values["level"]
    total = flags.where((reason == ALL) & (level == ALL))
    st.metric(f"Flags raised in the {RECENT_FLAG_DAYS} days up to the as-of date",
              ui.count_text(total.display()["n_flags"].iloc[0]) if len(total) else "0",
              help="The registry records no follow-up status yet: every flag of the period "
                   "counts. The Safety follow-up page lists them.")
    ui.table(flags.where((reason != ALL) & (level != ALL))
             .select(["reason", "level", "n_flags", "n_patients"]),
             name="recent_safety_flags",
             empty=f"No safety flag in the {RECENT_FLAG_DAYS} days up to the as-of date.")
    ui.definition(wording.SAFETY_FLAGS)
