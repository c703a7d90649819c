"""The dashboards' entry file: `streamlit run dashboards/app.py` (see dashboards.serve).

Nothing is shown before sign-in (dashboards.access.session): the first thing a
run does is find out who is looking, or draw the sign-in page and stop. Every
page then reads the published snapshot only, through the data-access layer
(dashboards.data), for that viewer; each page view goes to the audit log with
the filters it applied. A fragment in the sidebar looks for a new snapshot
every 30 seconds and reruns the app when one was published, so an open
browser shows it without a reload; it also ends an idle session on screen.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from dashboards import data, navigation, ui
from dashboards.access import session
from dashboards.suppression import SECONDARY_LABEL

SNAPSHOT_POLL = "30s"

st.set_page_config(page_title="Ketamine outcomes registry", page_icon=":material/monitoring:",
                   layout="wide")

# The first page is the default, served at the root URL.
PAGES = [st.Page(page.path, title=page.title, icon=page.icon, url_path=page.name,
                 default=index == 0)
         for index, page in enumerate(navigation.PAGES)]
PAGE_NAMES = {page.title: page.name for page in navigation.PAGES}


def _published_version() -> str | None:
    snapshot = data.current_snapshot()
    return snapshot.version if snapshot else None


@st.fragment(run_every=SNAPSHOT_POLL)
def _watch_for_new_snapshot(shown_version: str | None) -> None:
    if session.expired():
        st.rerun()  # the full run signs the session out and shows the sign-in page
    try:
        latest = _published_version()
    except duckdb.Error:
        return  # a damaged file: the page says so, and a good one published later is picked up
    if latest != shown_version:
        st.rerun()


def _describe(snapshot: data.SnapshotInfo) -> None:
    policy = data.policy_for(viewer)
    st.caption(f"Snapshot {snapshot.version}, published {snapshot.published_at:%Y-%m-%d %H:%M}.")
    if policy.show_exact:
        st.caption("Exact counts shown (KETREG_SHOW_SMALL_CELLS=1).")
        return
    own = "Your own sites' counts are exact. Elsewhere, c" if policy.exact_sites else "C"
    st.caption(f"{own}ounts from 1 to {policy.threshold - 1}, and rates built on them, are not "
               f"shown ({policy.label}), nor counts that would let one be worked out "
               f"({SECONDARY_LABEL}).")


viewer = session.require_viewer()  # the sign-in page, and a stop, until someone signs in
page = st.navigation(PAGES)
session.banner()
try:
    snapshot, unreadable = data.current_snapshot(), None
except duckdb.Error as error:
    snapshot, unreadable = None, error

with st.sidebar:
    # Started before any early stop, so that a page waiting for a snapshot gets it.
    _watch_for_new_snapshot(snapshot.version if snapshot else None)
    session.sidebar(viewer)
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

session.begin_run(PAGE_NAMES.get(page.title, page.title))
try:
    page.run()
except data.SnapshotChanged:
    st.rerun()
except data.MissingTables as missing:
    ui.not_in_snapshot(missing)
finally:
    session.record_page_view(snapshot.version)
