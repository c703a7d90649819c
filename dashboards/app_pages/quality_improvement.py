"""Quality improvement: monthly p-charts of ITT response and of blood-pressure excursions."""

import streamlit as st

from dashboards import charts, data, queries, spc, ui, wording
from dashboards.suppression import SafeFrame

SIGNAL_COLUMNS = ["month", "x", "n", "p", "lcl", "ucl", "beyond_limits", "in_run"]


def monthly_p_chart(query: queries.Query, site: str) -> SafeFrame:
    return spc.safe_p_chart(data.fetch_safe(query, scope=site))


def show(chart: SafeFrame, *, name: str, title: str, empty: str) -> None:
    ui.chart(chart, charts.p_chart, name=name, empty=empty, x="month", title=title,
             y_title="Monthly proportion")
    signals = chart.where(chart.values["beyond_limits"].eq(True) | chart.values["in_run"].eq(True))
    if not chart.empty:
        st.markdown("**Months with a signal**")
        ui.table(signals.select(SIGNAL_COLUMNS), name=f"{name}_signals",
                 empty="No month beyond a limit or in a run of 8.")


st.title("Quality improvement")
definitions = wording.definitions_in_force()
site = ui.site_picker(key="qi-site")

with ui.section("ITT response rate by month of course start"):
    show(monthly_p_chart(queries.monthly_itt_response, site), name="p_chart_itt_response",
         title="ITT response rate", empty="No ITT-eligible course here yet.")
    ui.definition(wording.P_CHART + " " + definitions.response() + " " +
                  definitions.denominators())

with ui.section("Blood-pressure excursion rate by month"):
    show(monthly_p_chart(queries.monthly_bp_excursions, site), name="p_chart_bp_excursions",
         title="Sessions with a BP excursion", empty="No countable session here yet.")
    ui.definition(wording.P_CHART + " " + definitions.bp_excursion())

st.caption("A month whose counts fall under the small-cell threshold is not drawn, nor a month "
           "that would let one be worked out from the centre line; the centre line and the "
           "signals are computed from every month.")
