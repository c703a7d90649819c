"""Data quality: what arrived, what was quarantined, how complete the outcome data are, checks.

Files, quarantine and checks are the whole registry's: the network role sees them.
Completeness and orphans are per site: a site role sees its own sites.
"""

import streamlit as st

from dashboards import charts, data, queries, rates, ui, wording
from dashboards.access import session
from dashboards.suppression import SafeFrame

RECENT_FILES = 200
COMPLETENESS_COLUMNS = [
    "n_courses", "n_courses_with_baseline", "n_itt_courses", "n_completer_courses",
    "baseline_captured_rate", "baseline_captured_ci_low", "baseline_captured_ci_high",
    "endpoint_captured_rate", "endpoint_captured_ci_low", "endpoint_captured_ci_high",
]


def with_capture_rates(counts: SafeFrame, z: float) -> SafeFrame:
    counts = rates.with_rate(counts, "n_courses_with_baseline", "n_courses", "baseline_captured",
                             z)
    return rates.with_rate(counts, "n_completer_courses", "n_itt_courses", "endpoint_captured", z)


st.title("Data quality")
viewer = session.current_viewer()
network = viewer is None or viewer.is_network
definitions = wording.definitions_in_force()
site = ui.site_picker(key="dq-site")

with ui.section("Freshness"):
    ui.table(data.fetch_safe(queries.freshness), name="freshness",
             empty="No as-of date yet: nothing countable has been loaded.")
    ui.table(data.fetch_safe(queries.site_freshness, scope=data.EACH), name="site_freshness",
             empty="No site has sent sessions or assessments yet.",
             caption="The last calendar month in which each site has countable sessions and "
                     "administrations.")

if network:
    with ui.section("Files by status"):
        files = data.fetch_safe(queries.files_by_day_and_status)
        ui.chart(files, charts.count_bars, name="files_by_status",
                 empty="No export file has been seen yet.",
                 x="day", y="n_files", colour="status", y_title="Files", x_title="Day processed")
        ui.table(data.fetch_safe(queries.recent_files, limit=RECENT_FILES), name="recent_files",
                 empty="No export file has been seen yet.",
                 caption=f"The {RECENT_FILES} most recent files. Rows read = loaded + "
                         "quarantined.")

    with ui.section("Quarantine by entity and reason"):
        quarantine = data.fetch_safe(queries.quarantine_by_entity_and_reason)
        ui.chart(quarantine, charts.count_bars, name="quarantine_by_reason",
                 empty="No row has been quarantined.",
                 x="reason", y="n_rows", colour="entity", y_title="Quarantined rows")
        ui.table(quarantine, name="quarantine", empty="No row has been quarantined.",
                 caption="Reason codes: docs/ingest.md. Quarantined values never leave the "
                         "warehouse.")
else:
    ui.empty_state("Files, quarantine and the pipeline's checks cover every clinic's exports: "
                   "they are shown to the network role. Your sites' completeness is below.")

with ui.section("Completeness by site"):
    each = data.fetch_safe(queries.completeness, scope=data.EACH)
    by_site = with_capture_rates(each.where(each.values["month"].isna()), definitions.wilson_z) \
        .select(["site_id", *COMPLETENESS_COLUMNS])
    ui.chart(by_site, charts.interval_bars, name="endpoint_captured_by_site",
             empty="No course yet.", x="site_id", value="endpoint_captured_rate",
             low="endpoint_captured_ci_low", high="endpoint_captured_ci_high",
             y_title="ITT courses with an endpoint")
    ui.table(by_site, name="completeness_by_site", empty="No course yet.",
             caption="Baseline captured: courses (primary instrument) with a baseline score. "
                     "Endpoint captured: ITT courses with an endpoint (the follow-up rate).")
    whole = data.fetch_safe(queries.completeness, scope=site)
    by_month = with_capture_rates(whole.where(whole.values["month"].notna()),
                                  definitions.wilson_z).select(["month", *COMPLETENESS_COLUMNS])
    ui.chart(by_month, charts.interval_bars, name="baseline_captured_by_month",
             empty="No course yet.", x="month", value="baseline_captured_rate",
             low="baseline_captured_ci_low", high="baseline_captured_ci_high",
             y_title="Courses with a baseline", x_title="Month of course start",
             caption=("The whole network." if site == "ALL" else f"{site}.")
             + ("" if network or site != "ALL" else " A benchmark: other sites' small counts "
                                                    "are not shown."))

with ui.section("Orphans and unusable records by site"):
    ui.table(data.fetch_safe(queries.orphans_by_site, scope=data.EACH), name="orphans_by_site",
             empty="No record yet.",
             caption="Orphans: sessions, administrations and adverse events whose patient is not "
                     "(yet) known; they join the models when the patient arrives.")

if network:
    with ui.section("Checks of the last run"):
        gx = data.fetch_safe(queries.gx_results_last_run)
        st.markdown("**Great Expectations**")
        ui.table(gx, name="gx_results", empty="No Great Expectations result recorded yet.")
        docs = data.gx_data_docs()
        if docs:
            st.markdown(f"Data Docs: [{docs[0]}]({docs[0].as_uri()}) — open this file on the "
                        "machine that runs the pipeline (browsers do not follow file links "
                        "from a web page).")
        else:
            ui.empty_state("No Great Expectations Data Docs under "
                           f"{data.gx_directory()} yet.")
        st.markdown("**dbt tests**")
        ui.table(data.fetch_safe(queries.dbt_tests_last_run), name="dbt_test_results",
                 empty="No dbt test result recorded yet.",
                 caption="The seeds' tests run when the dbt project changes: their rows "
                         "come from the run that last built the seeds.")
