"""The numbers a user reads off the pages, on the hand-computed network (hand_network.py).

Each expected value is worked out in hand_network.py's docstring from the
rows it inserts. Suppressed by default (counts 1-10 shown as "<11" and the
rates built on them blank); exact with KETREG_SHOW_SMALL_CELLS=1.
"""

from datetime import date

import pytest

from tests.dashboards.pages import cell_texts, infos, metrics, render, shown, trace_values


@pytest.fixture
def hand(hand_home, ketreg_home):
    return ketreg_home(hand_home)


@pytest.fixture
def exact(hand, monkeypatch):
    monkeypatch.setenv("KETREG_SHOW_SMALL_CELLS", "1")


def captions(app) -> list[str]:
    return [c.value for c in app.caption]


def test_overview_rates_and_suppressed_remission(hand):
    app = render("overview")
    shown_metrics = metrics(app)
    assert shown_metrics["As-of date"] == "2026-06-30"
    assert shown_metrics["Last file loaded"] == "2026-06-30 07:00"
    assert shown_metrics["ITT courses"] == "40"
    assert shown_metrics["Response (ITT)"] == "40.0%"
    assert shown_metrics["Follow-up rate (completer / ITT)"] == "70.0%"
    assert shown_metrics["COMPLETER courses"] == "28"
    assert shown_metrics["Response (COMPLETER)"] == "57.1%"
    assert {"95% CI 26.3–55.4%", "95% CI 54.6–81.9%", "95% CI 39.1–73.5%"} <= set(captions(app))
    # Five remitters: neither the count nor a rate or interval built on it is shown.
    assert shown_metrics["Remission (ITT)"] == "—"
    assert shown_metrics["Remission (COMPLETER)"] == "—"
    assert not any(c.startswith("95% CI 5.5") for c in captions(app))
    assert shown_metrics["Flags raised in the 30 days up to the as-of date"] == "<11"
    assert any("≥50% drop from baseline on PHQ9" in c for c in captions(app))


def test_overview_tables_and_chart(hand):
    page = shown(render("overview"))
    rates = page.tables["network_outcome_rates"]
    assert cell_texts(rates["n_remitters"]) == ["<11", "<11"]
    assert rates["remission_rate"].isna().all()
    assert "5" not in cell_texts(rates["n_remitters"])
    flags = page.tables["recent_safety_flags"]
    assert cell_texts(flags["n_flags"]) == ["<11"] * 4
    # Patients starting a course: Jan 12, Feb 5 (hidden), Mar 11, Apr 12, Jun 1 (hidden).
    spec = page.charts["courses_by_month"]
    assert trace_values(spec, "Patients starting a course") == [12, None, 11, 12, None]


def test_overview_exact_when_asked(exact):
    app = render("overview")
    shown_metrics = metrics(app)
    assert shown_metrics["Remission (ITT)"] == "12.5%"
    assert "95% CI 5.5–26.1%" in captions(app)
    assert shown_metrics["Flags raised in the 30 days up to the as-of date"] == "5"
    assert cell_texts(shown(app).tables["network_outcome_rates"]["n_remitters"]) == ["5", "5"]
    spec = shown(app).charts["courses_by_month"]
    assert trace_values(spec, "Courses") == [12, 5, 11, 12, 1]
    assert "Exact counts shown" in " ".join(c.value for c in app.sidebar.caption)


def network_row(table):
    return table[(table["route"] == "ALL") & (table["indication"] == "ALL")].iloc[0]


def test_outcomes_recomputed_for_a_period_and_a_denominator(hand):
    app = render("outcomes")
    row = network_row(shown(app).tables["outcome_rates"])
    assert cell_texts(row[["n_courses", "n_responders", "n_remitters"]]) == ["40", "16", "<11"]
    assert row["response_rate"] == pytest.approx(0.4)
    assert row["response_ci_low"] == pytest.approx(0.2635, abs=5e-5)
    assert row["follow_up_rate"] == pytest.approx(0.7)

    app.radio(key="outcomes-denominator").set_value("COMPLETER").run()
    row = network_row(shown(app).tables["outcome_rates"])
    assert str(row["n_courses"]) == "28"
    assert row["response_ci_high"] == pytest.approx(0.7349, abs=5e-5)

    app.radio(key="outcomes-denominator").set_value("ITT").run()
    app.date_input(key="outcomes-period").set_value((date(2026, 1, 5), date(2026, 1, 31))).run()
    row = network_row(shown(app).tables["outcome_rates"])
    assert cell_texts(row[["n_courses", "n_responders"]]) == ["12", "12"]
    assert row["response_rate"] == 1.0
    assert row["response_ci_low"] == pytest.approx(0.7575, abs=5e-5)
    assert row["remission_rate"] != row["remission_rate"]  # 5 of 12: blank
    assert "PHQ9" in " ".join(c.value for c in app.caption)


def test_outcomes_change_from_baseline_and_a_site_without_itt_courses(hand):
    app = render("outcomes")
    change = shown(app).charts["change_from_baseline"]
    # Completers: 12 at a 25% drop, 11 at 60%, 5 (hidden) at 80%. The 28 completers are
    # shown above, so 28 - 12 - 11 would give the 5 away: the 11 is hidden too.
    assert trace_values(change, None, "x") == ["20% to 30%", "60% to 70%", "80% to 90%"]
    assert trace_values(change, None) == [12, None, None]
    app.selectbox(key="outcomes-site").set_value("BRV-02").run()
    assert "No ITT-eligible course matches these filters." in infos(app)


def test_safety_rates_by_site(hand):
    app = render("safety")
    app.selectbox(key="safety-site").set_value("ANC-01").run()
    effects = shown(app).tables["side_effect_rates"]
    by_effect = effects[effects["route"] == "IV"].set_index("effect")
    assert by_effect.loc["BP_EXCURSION", "n_sessions_with_effect"] == "12"
    assert by_effect.loc["BP_EXCURSION", "session_rate"] == pytest.approx(0.06)
    assert by_effect.loc["BP_EXCURSION", "session_ci_high"] == pytest.approx(0.1019, abs=5e-5)
    assert by_effect.loc["NAUSEA", "session_rate"] == pytest.approx(0.15)
    assert by_effect.loc["NAUSEA", "n_courses_with_effect"] == "<11"
    assert by_effect.loc["TERMINATED_EARLY", "n_sessions_with_effect"] == "<11"
    assert by_effect.loc["TERMINATED_EARLY", "session_rate"] != \
        by_effect.loc["TERMINATED_EARLY", "session_rate"]
    events = shown(app).tables["adverse_event_rates"].set_index(["category", "severity"])
    assert events.loc[("ALL", "MODERATE"), "events_per_1000_sessions"] == pytest.approx(60.0)
    assert events.loc[("ALL", "ALL"), "n_patients"] == "<11"
    assert events.loc[("HYPERTENSION", "MODERATE"), "n_events"] == "12"
    assert events.loc[("SEDATION", "SEVERE"), "n_events"] == "<11"
    # 14 events in all would give the 2 severe ones away (14 - 12): hidden, with its rate.
    assert events.loc[("ALL", "ALL"), "n_events"] == "*"
    assert events.loc[("ALL", "ALL"), "events_per_1000_sessions"] != \
        events.loc[("ALL", "ALL"), "events_per_1000_sessions"]
    # The hand snapshot has no marts.session_dissociation: the section says so.
    assert any("marts.session_dissociation" in message for message in infos(app))


def test_quality_improvement_p_chart(hand):
    app = render("quality_improvement")
    signals = shown(app).tables["p_chart_itt_response_signals"]
    assert cell_texts(signals["month"].astype(str)) == ["2026-01-01"]
    assert signals["p"].tolist() == [1.0]
    assert signals["ucl"].iloc[0] == pytest.approx(0.824264, abs=1e-6)
    spec = shown(app).charts["p_chart_itt_response"]
    # Jan 12/12, Feb 4/5 (hidden), Mar 0/11, Apr 0/12. The centre line (16/40) and the
    # months shown would give February away: March is hidden with it.
    points = [v for name in ("Monthly rate", "Beyond a limit")
              for v in trace_values(spec, name)]
    assert sorted(v for v in points if v is not None) == [0.0, 1.0]
    assert trace_values(spec, "Monthly rate") == [None, None, 0.0]
    assert trace_values(spec, "Centre (p̄)") == pytest.approx([0.4] * 4)
    assert any("marts.side_effects_monthly" in message for message in infos(app))


def test_safety_follow_up_newest_first(hand):
    app = render("safety_follow_up")
    flags = shown(app).tables["safety_flags"]
    assert len(flags) == 6  # the last 90 days (from 2026-04-01): 2026-05-31 and five in June
    assert flags["patient_key"].iloc[0] == "pat-b01"
    assert flags["level"].tolist()[:2] == ["LOW", "HIGH"]
    app.radio(key="follow-up-period").set_value("Last 30 days").run()
    assert len(shown(app).tables["safety_flags"]) == 5
    app.radio(key="follow-up-period").set_value("All").run()
    assert len(shown(app).tables["safety_flags"]) == 18
    app.selectbox(key="follow-up-site").set_value("BRV-02").run()
    assert shown(app).tables["safety_flags"]["patient_key"].tolist() == ["pat-b01"]


def test_data_quality(hand):
    app = render("data_quality")
    page = shown(app)
    files = page.tables["recent_files"].set_index("file_name")
    assert files.loc["sessions_ANC-01.csv", "rows_quarantined"] == "<11"
    assert str(files.loc["patients_ANC-01.csv", "rows_read"]) == "41"
    assert files.loc["notes.txt", "status"] == "REJECTED_UNKNOWN_ENTITY"
    quarantine = page.tables["quarantine"]
    assert cell_texts(quarantine["n_rows"]) == ["<11"]
    tests = page.tables["dbt_test_results"].set_index("test_name")
    failed = tests.loc["accepted_range_course_outcomes_change_pct"]
    assert (failed["status"], failed["failures"]) == ("fail", "<11")
    assert failed["message"] is None or failed["message"] != failed["message"]
    # The seeds' tests, left out of the last run, from the run that built the definitions;
    # a test that ran in both is shown once, from the last run.
    assert tests.loc["unique_instrument_catalog_instrument", "run_id"] == "run-definitions"
    assert tests.index.is_unique
    assert tests.loc["unique_course_outcomes_course_id", "run_id"] == "run-fixture"
    assert any("run that last built the seeds" in c for c in captions(app))
    gx = page.tables["gx_results"].set_index("suite_name")
    assert not gx.loc["sessions", "success"]
    completeness = page.tables["completeness_by_site"].set_index("site_id")
    assert completeness.loc["ANC-01", "n_courses"] == "40"
    assert completeness.loc["ANC-01", "endpoint_captured_rate"] == pytest.approx(0.7)


def test_data_quality_exact(exact):
    page = shown(render("data_quality"))
    gx = page.tables["gx_results"].set_index("suite_name")
    assert gx.loc["sessions", "failures"].startswith('["expect_column_values_to_be_between')
    tests = page.tables["dbt_test_results"].set_index("test_name")
    assert tests.loc["accepted_range_course_outcomes_change_pct", "message"].startswith("Got 3")


def test_definitions_in_force(hand):
    app = render("definitions")
    registry = shown(app).tables["definitions"]
    wilson = registry[registry["definition"] == "wilson_z"]
    assert wilson["value"].tolist() == ["1.959964"]
    text = " ".join(m.value for m in app.markdown)
    assert "≥50% drop from baseline on PHQ9" in text
    assert "≥30% drop from baseline on PCL5 (PTSD)" in text
