"""A generated network through the real `ketreg run`, checked for the invariants a
clinical director relies on when reading the dashboards.

400 patients at 3 sites (seed 5): the generator writes realistic exports with
deliberate faults (orchestration/synthetic/faults.py) and says which records
it broke on purpose, so the quarantine can be held to exactly those.
"""

from __future__ import annotations

import pytest

from orchestration.synthetic import generate_network
from tests.end_to_end.harness import ketreg_run, read_only, rows, scalar

pytestmark = pytest.mark.slow

ENTITIES = ("patients", "sessions", "assessments", "adverse_events")
EFFECTS = ("NAUSEA", "VOMITING", "DIZZINESS", "HEADACHE", "DISSOCIATION", "SEDATION", "ANXIETY",
           "HYPERTENSION", "TACHYCARDIA", "RESPIRATORY_DEPRESSION", "BLURRED_VISION",
           "CONFUSION", "OTHER", "ANY", "BP_EXCURSION", "TERMINATED_EARLY")
# Marts with a patient_key column (spec/interface.md plus course_trajectories).
PATIENT_MARTS = ("assessment_scores", "course_outcomes", "safety_flags", "course_trajectories")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    home = tmp_path_factory.mktemp("generated_home")
    inbox = home / "inbox"
    summary = generate_network(inbox, patients=400, sites=3, seed=5, progress=False)
    done = ketreg_run(home, inbox)
    assert done.result.returncode == 0, done.failure()
    print(f"\nketreg run over the generated network: {done.seconds:.0f} s")
    con = read_only(done.warehouse)
    yield summary, con
    con.close()


@pytest.fixture(scope="module")
def con(generated):
    return generated[1]


def test_every_course_has_exactly_one_primary_row(con):
    courses = rows(con, """
        select course_id, count(*) filter (where is_primary) as n_primary,
               min(n_sessions) as min_sessions
        from marts.course_outcomes group by course_id
    """)
    assert len(courses) > 300
    assert [c["course_id"] for c in courses if c["n_primary"] != 1] == []
    assert [c["course_id"] for c in courses if c["min_sessions"] < 1] == []


def test_outcome_flags_nest(con):
    # completer implies itt_eligible implies evaluable; an outcome implies completer.
    broken = scalar(con, """
        select count(*) from marts.course_outcomes
        where (itt_eligible and not evaluable) or (completer and not itt_eligible)
           or ((responded or remitted or deteriorated) and not completer)
    """)
    assert broken == 0


def test_itt_holds_at_least_the_completers_in_every_group(con):
    pairs = rows(con, """
        select i.site_id, i.route, i.indication,
               i.n_courses as itt, c.n_courses as completers,
               i.n_responders as itt_responders, c.n_responders as completer_responders,
               i.n_remitters as itt_remitters, c.n_remitters as completer_remitters
        from marts.outcome_rates as i
        join marts.outcome_rates as c
          on (i.site_id, i.route, i.indication) = (c.site_id, c.route, c.indication)
        where i.denominator = 'ITT' and c.denominator = 'COMPLETER'
    """)
    assert len(pairs) * 2 == scalar(con, "select count(*) from marts.outcome_rates")
    for p in pairs:
        assert p["itt"] >= p["completers"], p
        # Only completers can respond or remit: the numerators are the same.
        assert p["itt_responders"] == p["completer_responders"], p
        assert p["itt_remitters"] == p["completer_remitters"], p


def test_counts_never_exceed_their_denominator(con):
    assert scalar(con, """
        select count(*) from marts.outcome_rates
        where n_responders > n_courses or n_remitters > n_courses or n_courses < 0
    """) == 0
    assert scalar(con, """
        select count(*) from marts.side_effect_rates
        where n_sessions_with_effect > n_sessions or n_courses_with_effect > n_courses
    """) == 0


@pytest.mark.parametrize(("table", "rate", "low", "high", "n"), [
    ("outcome_rates", "response_rate", "response_ci_low", "response_ci_high", "n_courses"),
    ("outcome_rates", "remission_rate", "remission_ci_low", "remission_ci_high", "n_courses"),
    ("outcome_rates", "follow_up_rate", "follow_up_ci_low", "follow_up_ci_high",
     "n_itt_courses"),
    ("side_effect_rates", "session_rate", "session_ci_low", "session_ci_high", "n_sessions"),
    ("side_effect_rates", "course_rate", "course_ci_low", "course_ci_high", "n_courses"),
])
def test_rates_are_fractions_inside_their_interval(con, table, rate, low, high, n):
    bad = rows(con, f"""
        select * from marts.{table}
        where case when {n} = 0 then {rate} is not null or {low} is not null
                   else not ({rate} between 0 and 1 and {low} between 0 and 1
                             and {high} between 0 and 1
                             and {low} <= {rate} + 1e-12 and {rate} <= {high} + 1e-12)
              end
    """)
    assert bad == []
    assert scalar(con, f"select count(*) from marts.{table} where {n} > 0") > 0


def test_network_itt_count_is_the_itt_eligible_primary_courses(con):
    network = scalar(con, """
        select n_courses from marts.outcome_rates
        where site_id = 'ALL' and route = 'ALL' and indication = 'ALL' and denominator = 'ITT'
    """)
    assert network == scalar(con, """
        select count(*) from marts.course_outcomes where is_primary and itt_eligible
    """)
    completers = scalar(con, """
        select n_courses from marts.outcome_rates
        where site_id = 'ALL' and route = 'ALL' and indication = 'ALL'
          and denominator = 'COMPLETER'
    """)
    assert completers == scalar(con, """
        select count(*) from marts.course_outcomes where is_primary and completer
    """)


def test_safety_flag_levels(con):
    levels = dict(con.execute(
        "select reason, list(distinct level order by level) from marts.safety_flags "
        "group by reason").fetchall())
    assert set(levels) == {"PHQ9_ITEM9", "CSSRS"}
    assert set(levels["PHQ9_ITEM9"]) <= {"1", "2", "3"}
    assert set(levels["CSSRS"]) <= {"LOW", "MODERATE", "HIGH"}
    # Each PHQ-9 flag carries its administration's item 9, read from raw.
    mismatched = scalar(con, """
        with item_9 as (
            select a.assessment_id, a.value from raw.assessments as a
            where a.item = '9'
              and a.record_version = (select max(r.record_version) from raw.assessments as r
                                      where r.assessment_id = a.assessment_id)
        )
        select count(*) from marts.safety_flags as f
        left join item_9 using (assessment_id)
        where f.reason = 'PHQ9_ITEM9'
          and (item_9.value is null or cast(cast(item_9.value as integer) as varchar) <> f.level)
    """)
    assert mismatched == 0


def test_every_effect_in_every_side_effect_group(con):
    groups = rows(con, """
        select site_id, route, list(effect order by effect) as effects
        from marts.side_effect_rates group by site_id, route
    """)
    sites = scalar(con, "select count(distinct site_id) from raw.patients")
    assert len(groups) >= 1 + 2 * sites  # ALL/ALL, and each site with ALL and a route
    for g in groups:
        assert g["effects"] == sorted(EFFECTS), (g["site_id"], g["route"])


def test_follow_up_rate_is_realistic(con):
    # The generator loses 25-45% of courses before the endpoint.
    row = rows(con, """
        select n_itt_courses, n_completer_courses, follow_up_rate from marts.outcome_rates
        where site_id = 'ALL' and route = 'ALL' and indication = 'ALL' and denominator = 'ITT'
    """)[0]
    assert row["n_itt_courses"] > 100
    assert 0.45 <= row["n_completer_courses"] / row["n_itt_courses"] <= 0.85
    assert row["follow_up_rate"] == pytest.approx(
        row["n_completer_courses"] / row["n_itt_courses"])


def test_iv_completer_response_rate_near_published_figures(con):
    row = rows(con, """
        select n_courses, response_rate from marts.outcome_rates
        where site_id = 'ALL' and route = 'IV' and indication = 'ALL'
          and denominator = 'COMPLETER'
    """)[0]
    assert row["n_courses"] >= 30
    assert 0.30 <= row["response_rate"] <= 0.70


def test_no_mart_names_an_unknown_patient(con):
    for mart in PATIENT_MARTS:
        unknown = scalar(con, f"""
            select count(distinct m.patient_key) from marts.{mart} as m
            anti join raw.patients as p on m.patient_key = p.patient_key
        """)
        assert unknown == 0, mart


def test_quarantine_holds_exactly_the_deliberately_invalid_records(generated, con):
    summary, _ = generated
    for entity in ENTITIES:
        quarantined = {
            key.split("|")[0] if entity == "assessments" else key
            for (key,) in con.execute(
                "select record_key from ops.quarantine where entity = ?", [entity]).fetchall()
        }
        assert quarantined == set(summary.invalid_keys(entity)), entity
    reasons = {r for (r,) in con.execute("select distinct reason from ops.quarantine").fetchall()}
    assert "VERSION_CONFLICT" not in reasons
    # Every file balances; the re-sent copy is a DUPLICATE, nothing is rejected.
    manifest = rows(con, "select * from ops.ingest_manifest")
    assert len(manifest) == len(summary.files)
    for m in manifest:
        assert m["rows_read"] == m["rows_loaded"] + m["rows_quarantined"], m["file_name"]
    statuses = {m["status"] for m in manifest}
    assert statuses == {"LOADED", "DUPLICATE"}
    assert scalar(con, "select sum(rows_quarantined) from ops.ingest_manifest") == scalar(
        con, "select count(*) from ops.quarantine")
