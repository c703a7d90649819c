"""Outcomes: response and remission by route and indication, trajectories, change from baseline.

Rates here follow the filters, so they are recomputed from course_outcomes
(counts in SQL, Wilson intervals in dashboards.rates) with the same
definitions as marts.outcome_rates.
"""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import charts, data, queries, rates, ui, wording
from dashboards.suppression import ALL

st.title("Outcomes")
definitions = wording.definitions_in_force()

site_column, period_column, denominator_column = st.columns([1, 1, 1])
with site_column:
    site = ui.site_picker(key="outcomes-site")
options = data.fetch(queries.course_filter_options, scope=site)
if options.empty:
    ui.empty_state("No treatment course in the snapshot yet: outcomes appear once sessions and "
                   "assessments have been loaded (`ketreg run`).")
    st.stop()

with period_column:
    first = pd.Timestamp(options["first_start"].min()).date()
    last = pd.Timestamp(options["last_start"].max()).date()
    period = st.date_input("Course started between", value=(first, last), min_value=first,
                           max_value=last, key="outcomes-period")
with denominator_column:
    denominator = st.radio("Denominator", ["ITT", "COMPLETER"], horizontal=True,
                           key="outcomes-denominator",
                           help="ITT counts a course without an endpoint as not responded.")
route_column, indication_column = st.columns(2)
with route_column:
    routes = st.multiselect("Routes", sorted(options["route"].unique()), key="outcomes-routes",
                            placeholder="All routes")
with indication_column:
    indications = st.multiselect("Indications", sorted(options["indication"].unique()),
                                 key="outcomes-indications", placeholder="All indications")

# A date range is a pair once both ends are picked; until then the period is open. The
# whole range is no filter at all, so that every site's view and the network's come from
# one suppressed table (dashboards.data), whichever site's range the picker shows.
start: date | None = period[0] if len(period) > 0 else None
end: date | None = period[1] if len(period) > 1 else None
if start is not None and start <= first:
    start = None
if end is not None and end >= last:
    end = None
course_filter = dict(start=start, end=end, routes=tuple(routes), indications=tuple(indications))

with ui.section("Response and remission by route and indication"):
    counts = data.fetch_safe(queries.outcome_counts, scope=site, **course_filter)
    table = rates.safe_outcome_rates(counts, denominator, definitions.wilson_z)
    instruments = sorted({i for listed in counts.values["primary_instruments"].dropna()
                          for i in listed.split(",")})
    for measure, column in zip(("response", "remission"), st.columns(2), strict=True):
        with column:
            ui.chart(table, charts.outcome_rate_bars, name=f"{measure}_by_route_and_indication",
                     empty="No ITT-eligible course matches these filters.", measure=measure,
                     title=f"{measure.capitalize()} ({denominator}), 95% Wilson intervals")
    ui.table(table, name="outcome_rates", empty="No ITT-eligible course matches these filters.")
    ui.definition(definitions.outcome_rates(instruments or None))

# The primary instruments of the selection, most used first (the options are the scope's).
filtered = options
if routes:
    filtered = filtered[filtered["route"].isin(routes)]
if indications:
    filtered = filtered[filtered["indication"].isin(indications)]
in_use = filtered.sort_values("instrument_rank")["instrument"].drop_duplicates().tolist()
if not in_use:
    ui.empty_state("No course matches these filters, so there is no trajectory to draw.")
    st.stop()
instrument = st.selectbox(
    "Primary instrument for trajectories and change from baseline", in_use,
    key="outcomes-instrument",
    help="Scores of different instruments cannot be pooled; each course's primary instrument "
         "follows its indication.")
course_filter["instrument"] = instrument

with ui.section(f"Trajectories: {instrument} score by week since course start"):
    trajectory = data.fetch_safe(queries.trajectories, scope=site, **course_filter)
    ui.chart(trajectory, charts.median_bands, name="trajectories",
             empty="No evaluable course with this primary instrument matches these filters.",
             x="week", median="score_median", q1="score_q1", q3="score_q3", group="route",
             x_title="Week since course start (0 = baseline)", y_title=f"{instrument} total",
             caption="Median and interquartile band of evaluable courses. Week 0 is the baseline; "
                     "week k holds each course's last score on days 7k−6 to 7k after the first "
                     "dose. A week with fewer courses than the small-cell threshold is not drawn.")

with ui.section(f"Change from baseline at endpoint ({instrument}, completers)"):
    change = data.fetch_safe(queries.change_distribution, scope=site, **course_filter)
    change = change.where(change.values["bin_label"] != ALL)
    reduction = definitions.threshold(instrument, "response_reduction")
    ui.chart(change, charts.count_bars, name="change_from_baseline",
             empty="No completer with this primary instrument matches these filters.",
             x="bin_label", y="n_courses", x_title="Change from baseline (drop, % of baseline)",
             y_title="Completed courses",
             caption="Change = (baseline − endpoint) / baseline, in bins of 10 points; the outer "
                     "bins are open. "
                     + (f"Response on {instrument}: a drop of at least {reduction:.0%}."
                        if reduction is not None else ""))
