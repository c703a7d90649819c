"""The dashboards' entry file: `streamlit run dashboards/app.py` (see dashboards.serve).

Every page reads the published snapshot only (dashboards.data). A fragment
in the sidebar looks for a new snapshot every 30 seconds and reruns the app
when one was published, so an open browser shows it without a reload.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from dashboards import data, navigation, ui
from dashboards.suppression import current_policy

SNAPSHOT_POLL = "30s"

st.set_page_config(page_title="Ketamine outcomes registry", page_icon=":material/monitoring:",
                   layout="wide")

# The first page is the default, served at the root URL.
PAGES = [st.Page(page.path, title=page.title, icon=page.icon, url_path=page.name,
                 default=index == 0)
         for index, page in enumerate(navigation.PAGES)]


def _published_version() -> str | None:
    snapshot = data.current_snapshot()
    return snapshot.version if snapshot else None


@st.fragment(run_every=SNAPSHOT_POLL)
def _watch_for_new_snapshot(shown_version: str | None) -> None:
    try:
        latest = _published_version()
    except duckdb.Error:
        return  # a damaged file: the page says so, and a good one published later is picked up
    if latest != shown_version:
        st.rerun()


def _describe(snapshot: data.SnapshotInfo) -> None:
    policy = current_policy()
    st.caption(f"Snapshot {snapshot.version}, published {snapshot.published_at:%Y-%m-%d %H:%M}.")
    if policy.show_exact:
        st.caption("Exact counts shown (KETREG_SHOW_SMALL_CELLS=1).")
    else:
        st.caption(f"Counts from 1 to {policy.threshold - 1}, and rates built on them, are not "
                   f"shown ({policy.label}).")


page = st.navigation(PAGES)
try:
    snapshot, unreadable = data.current_snapshot(), None
except duckdb.Error as error:
    snapshot, unreadable = None, error

with st.sidebar:
    # Started before any early stop, so that a page waiting for a snapshot gets it.
    _watch_for_new_snapshot(snapshot.version if snapshot else None)
    if snapshot:
        _describe(snapshot)

if unreadable is not None:
    st.error(f"The dashboard snapshot at {data.snapshot_path()} cannot be read ({unreadable}). "
             "Run `ketreg run` to publish a new one.")
    st.stop()

if snapshot is None:
    st.title(page.title)
    ui.empty_state(
        f"No dashboard snapshot has been published yet (looked for {data.snapshot_path()}). "
        "Run `ketreg run --inbox DIR` (or `ketreg demo`) to load exports and publish one; "
        "this page then fills in within a minute."
    )
    st.stop()

try:
    page.run()
except data.SnapshotChanged:
    st.rerun()
except data.MissingTables as missing:
    ui.not_in_snapshot(missing)
