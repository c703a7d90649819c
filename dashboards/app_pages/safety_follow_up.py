"""Safety follow-up: every suicide-risk flag, newest first: the list a clinical director
works through.

A list of administrations, not a count: it is for the care team, which sees
its own patients. A site role sees its own sites' flags only (dashboards.data
applies the role in the query); the network role sees every site's.
"""

import streamlit as st

from dashboards import data, queries, ui, wording
from dashboards.access import session

PERIODS = {"Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365, "All": None}

st.title("Safety follow-up")
viewer = session.current_viewer()
site_column, period_column = st.columns(2)
with site_column:
    site = ui.site_picker(key="follow-up-site",
                          network_label="All sites (network)" if viewer is None
                          or viewer.is_network else "All your sites")
with period_column:
    period = st.radio("Administered in", list(PERIODS), index=1, horizontal=True,
                      key="follow-up-period", help="Counted back from the as-of date.")

with ui.section("Safety flags, newest first"):
    flags = data.fetch_safe(queries.safety_flag_list, scope=site, days=PERIODS[period])
    levels = sorted(flags.values["level"].dropna().unique())
    chosen = st.multiselect("Levels", levels, key="follow-up-levels", placeholder="All levels")
    if chosen:
        flags = flags.where(flags.values["level"].isin(chosen))
    ui.table(flags, name="safety_flags",
             empty="No safety flag for this site and period.")
    ui.definition(wording.SAFETY_FLAGS)
