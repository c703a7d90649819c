"""Dashboard snapshots for tests, published by the pipeline's own publish step.

A `Network` holds base rows (courses, sessions, flags, files ...). `publish`
writes them into a scratch warehouse, derives every mart the dashboards read
with the columns the dbt marts have (dbt_project/models/marts/*.sql), loads
the real seeds, and publishes with orchestration's publish_snapshot, so the
snapshot has exactly the layout the pipeline gives it, snapshot_info included.

The derivations follow spec/outcomes.md but are the fixture's own, short SQL:
they are not the dbt models, and the numbers the tests assert are worked out
by hand from the base rows (hand_network.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from orchestration.defs.publish.snapshot import publish_snapshot

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "dbt_project" / "seeds"
DBT_PROJECT_YML = REPO / "dbt_project" / "dbt_project.yml"
WAREHOUSE_DDL = REPO / "orchestration" / "defs" / "ingest" / "warehouse.sql"

# Tables the dashboards expect but the marts do not have yet (see the report of
# issue 4): a test publishes them or leaves them out to see the empty state.
EXPECTED_MARTS = ("session_dissociation", "side_effects_monthly")

BASE_DDL = """
create schema fixture;
create table fixture.courses (
    course_id varchar, patient_key varchar, course_number integer, site_id varchar,
    route varchar, drug varchar, indication varchar, instrument varchar,
    course_start timestamp, last_session_at timestamp, n_sessions integer,
    n_sessions_terminated_early integer, baseline_score integer, endpoint_score integer,
    baseline_day integer, endpoint_day integer
);
create table fixture.trajectory_scores (course_id varchar, week integer, score integer);
create table fixture.sessions (
    session_id varchar, patient_key varchar, course_id varchar, site_id varchar, route varchar,
    drug varchar, started_at timestamp, status varchar, dose_mg double, weight_kg double,
    cadss integer, side_effects varchar, bp_excursion boolean
);
create table fixture.safety_flags (
    assessment_id varchar, patient_key varchar, site_id varchar, administered_at timestamp,
    instrument varchar, reason varchar, level varchar, level_rank integer
);
create table fixture.adverse_events (
    event_id varchar, patient_key varchar, site_id varchar, session_id varchar,
    category varchar, severity varchar, serious boolean
);
create table fixture.as_of (as_of_date date);
"""

WILSON_MACROS = """
create macro wilson_low(x, n) as case
    when coalesce(n, 0) = 0 then null when x = 0 then 0.0
    else ((x / n + {z2} / (2.0 * n)) - {z} * sqrt((x / n) * (1 - x / n) / n + {z2} / (4.0 * n * n)))
         / (1 + {z2} / n) end;
create macro wilson_high(x, n) as case
    when coalesce(n, 0) = 0 then null when x = n then 1.0
    else ((x / n + {z2} / (2.0 * n)) + {z} * sqrt((x / n) * (1 - x / n) / n + {z2} / (4.0 * n * n)))
         / (1 + {z2} / n) end;
create macro ratio(x, n) as case when coalesce(n, 0) = 0 then null else x / n end;
create macro small(x) as coalesce(x between 1 and 10, false);
"""


def _frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


@dataclass
class Network:
    """Base rows of a clinic network; every frame may be empty."""

    as_of_date: date | None
    courses: pd.DataFrame = field(default_factory=lambda: _frame([]))
    trajectory_scores: pd.DataFrame = field(default_factory=lambda: _frame([]))
    sessions: pd.DataFrame = field(default_factory=lambda: _frame([]))
    safety_flags: pd.DataFrame = field(default_factory=lambda: _frame([]))
    adverse_events: pd.DataFrame = field(default_factory=lambda: _frame([]))
    manifest: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    gx_results: list[dict] = field(default_factory=list)
    dbt_test_results: list[dict] = field(default_factory=list)
    dbt_definitions_builds: list[dict] = field(default_factory=list)


def snapshot_path(home: Path) -> Path:
    return home / "snapshot" / "dashboard.duckdb"


def publish(network: Network, home: Path, *, expected_marts: bool = True,
            run_id: str = "run-fixture") -> Path:
    """Publish `network` as KETREG_HOME=`home`'s dashboard snapshot; its path."""
    home.mkdir(parents=True, exist_ok=True)
    warehouse = home / "fixture-warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        build_warehouse(con, network, expected_marts=expected_marts)
        publish_snapshot(con, snapshot_path(home), run_id)
    finally:
        con.close()
    warehouse.unlink(missing_ok=True)
    return snapshot_path(home)


def build_warehouse(con: duckdb.DuckDBPyConnection, network: Network, *,
                    expected_marts: bool) -> None:
    registry_vars = yaml.safe_load(DBT_PROJECT_YML.read_text())["vars"]
    z = float(registry_vars["wilson_z"])
    con.execute(WAREHOUSE_DDL.read_text())
    con.execute(BASE_DDL)
    con.execute(WILSON_MACROS.format(z=z, z2=z * z))
    _load_base(con, network)
    _load_seeds(con)
    _load_ops(con, network)
    con.execute("create schema marts")
    for sql in _MARTS:
        con.execute(sql)
    _load_definitions(con, registry_vars)
    if expected_marts:
        for sql in _EXPECTED_MARTS:
            con.execute(sql)


def _load_base(con, network: Network) -> None:
    tables = {
        "courses": network.courses, "trajectory_scores": network.trajectory_scores,
        "sessions": network.sessions, "safety_flags": network.safety_flags,
        "adverse_events": network.adverse_events,
    }
    for table, frame in tables.items():
        if len(frame):
            con.register("incoming", frame)
            con.execute(f"insert into fixture.{table} by name select * from incoming")
            con.unregister("incoming")
    if network.as_of_date is not None:
        con.execute("insert into fixture.as_of values (?)", [network.as_of_date])


def _load_seeds(con) -> None:
    con.execute("create schema seeds")
    for csv in sorted(SEEDS.glob("*.csv")):
        con.execute(f"create table seeds.{csv.stem} as "
                    f"select * from read_csv('{csv}', header=true)")


def _load_ops(con, network: Network) -> None:
    for i, row in enumerate(network.manifest, start=1):
        row = {"load_id": i, "entity": None, "file_format": "CSV", "rows_unchanged": 0,
               "rows_orphaned": 0, "reason": None, "warnings": None, "duplicate_of": None,
               "run_id": "run-fixture", **row}
        _insert(con, "ops.ingest_manifest", row)
    for row in network.quarantine:
        _insert(con, "ops.quarantine", {**row, "row_json": json.dumps(row["row_json"])})
    for row in network.gx_results:
        _insert(con, "ops.gx_results", {**row, "failures": json.dumps(row["failures"])})
    for row in network.dbt_test_results:
        _insert(con, "ops.dbt_test_results", row)
    for row in network.dbt_definitions_builds:
        _insert(con, "ops.dbt_definitions_builds", row)


def _insert(con, table: str, row: dict) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


def _load_definitions(con, registry_vars: dict) -> None:
    con.execute("""create table marts.definitions (definition varchar, scope varchar,
                   value varchar, unit varchar, description varchar, defined_in varchar)""")
    for name, value in registry_vars.items():
        _insert(con, "marts.definitions", dict(definition=name, scope="ALL", value=str(value),
                                              unit="", description=name, defined_in="dbt var"))
    for column in ("min_baseline", "response_reduction", "remission_max", "deterioration_rise"):
        con.execute(f"""insert into marts.definitions
            select '{column}', instrument, cast({column} as varchar), '', '{column}',
                   'seed instrument_catalog'
            from seeds.instrument_catalog where {column} is not null""")
    con.execute("""insert into marts.definitions
        select 'primary_instrument', indication, primary_instrument, 'instrument',
               'Outcome rates of this indication use this instrument.',
               'seed indication_primary_instrument'
        from seeds.indication_primary_instrument""")


# Each mart with the columns of dbt_project/models/marts/<name>.sql, in order.
_MARTS = [
    """
    create table marts.course_outcomes as
    with joined as (
        select c.*, k.min_baseline, k.response_reduction, k.remission_max, k.deterioration_rise,
               a.as_of_date,
               datediff('day', cast(c.course_start as date), a.as_of_date) as days_observed,
               case when c.baseline_score is null or c.endpoint_score is null
                         or c.baseline_score = 0
                    then null else (c.baseline_score - c.endpoint_score) / c.baseline_score::double
               end as change_pct
        from fixture.courses as c
        join seeds.instrument_catalog as k using (instrument)
        cross join fixture.as_of as a
    ), flagged as (
        select *, coalesce(baseline_score >= min_baseline, false) as evaluable from joined
    ), eligible as (
        select *, evaluable and days_observed >= 56 as itt_eligible from flagged
    ), completed as (
        select *, itt_eligible and endpoint_score is not null as completer from eligible
    )
    select course_id, patient_key, course_number, site_id, route, drug, false as mixed_route,
           indication, instrument, true as is_primary, course_start, n_sessions,
           baseline_score, endpoint_score, evaluable, itt_eligible, completer, change_pct,
           completer and coalesce(change_pct >= response_reduction, false) as responded,
           completer and coalesce(endpoint_score <= remission_max, false) as remitted,
           completer and coalesce(endpoint_score - baseline_score >= deterioration_rise, false)
               as deteriorated,
           cast(course_start as date) as course_start_date, last_session_at,
           n_sessions_terminated_early,
           course_id || ':B' as baseline_assessment_id,
           course_start + to_days(coalesce(baseline_day, 0)) as baseline_administered_at,
           baseline_day, false as baseline_prorated,
           case when endpoint_score is not null then course_id || ':E' end
               as endpoint_assessment_id,
           course_start + to_days(coalesce(endpoint_day, 0)) as endpoint_administered_at,
           endpoint_day, false as endpoint_prorated,
           endpoint_score - baseline_score as score_change,
           baseline_score is null as missing_baseline,
           coalesce(baseline_score < min_baseline, false) as baseline_below_min,
           evaluable and not itt_eligible as awaiting_endpoint_window,
           itt_eligible and not completer as missing_endpoint,
           1::bigint as _through_load_id, 'fixture' as _definitions_hash
        from completed
    """,
    """
    create table marts.outcome_rates as
    with groups as (
        select case when grouping(site_id) = 1 then 'ALL' else site_id end as site_id,
               case when grouping(route) = 1 then 'ALL' else route end as route,
               case when grouping(indication) = 1 then 'ALL' else indication end as indication,
               count(*) as n_itt_courses,
               count(*) filter (where completer) as n_completer_courses,
               count(*) filter (where responded) as n_responders,
               count(*) filter (where remitted) as n_remitters,
               count(*) filter (where deteriorated) as n_deteriorated,
               string_agg(distinct instrument, ',' order by instrument) as primary_instruments
        from marts.course_outcomes where is_primary and itt_eligible
        group by cube (site_id, route, indication) having count(*) > 0
    ), denominators as (
        select *, 'ITT' as denominator, n_itt_courses as n_courses from groups
        union all
        select *, 'COMPLETER' as denominator, n_completer_courses as n_courses from groups
    )
    select site_id, route, indication, denominator, n_courses, n_responders,
           ratio(n_responders, n_courses) as response_rate,
           wilson_low(n_responders, n_courses) as response_ci_low,
           wilson_high(n_responders, n_courses) as response_ci_high,
           n_remitters, ratio(n_remitters, n_courses) as remission_rate,
           wilson_low(n_remitters, n_courses) as remission_ci_low,
           wilson_high(n_remitters, n_courses) as remission_ci_high,
           n_deteriorated, ratio(n_deteriorated, n_courses) as deterioration_rate,
           wilson_low(n_deteriorated, n_courses) as deterioration_ci_low,
           wilson_high(n_deteriorated, n_courses) as deterioration_ci_high,
           n_itt_courses, n_completer_courses,
           ratio(n_completer_courses, n_itt_courses) as follow_up_rate,
           wilson_low(n_completer_courses, n_itt_courses) as follow_up_ci_low,
           wilson_high(n_completer_courses, n_itt_courses) as follow_up_ci_high,
           primary_instruments,
           small(n_courses) as small_cell_n,
           small(n_responders) or small(n_courses) or small(n_courses - n_responders)
               as small_cell_response,
           small(n_remitters) or small(n_courses) or small(n_courses - n_remitters)
               as small_cell_remission
    from denominators
    """,
    """
    create table marts.course_trajectories as
    select t.course_id, c.patient_key, c.site_id, c.route, c.drug, c.indication,
           c.course_start_date, c.instrument, t.week, t.score,
           t.score - c.baseline_score as change_from_baseline,
           case when c.baseline_score is null or c.baseline_score = 0 then null
                else (c.baseline_score - t.score) / c.baseline_score::double end as change_pct,
           t.course_id || ':W' || t.week as assessment_id,
           c.course_start + to_days(7 * t.week) as administered_at,
           7 * t.week as study_day, 1 as n_administrations_in_week, t.week = 0 as is_baseline,
           c.baseline_score, c.evaluable, c.itt_eligible, c.completer,
           1::bigint as _through_load_id, 'fixture' as _definitions_hash
    from fixture.trajectory_scores as t
    join marts.course_outcomes as c on t.course_id = c.course_id and c.is_primary
    """,
    """
    create table marts.safety_flags as
    select assessment_id, patient_key, site_id, administered_at, instrument, reason, level,
           level_rank, cast(administered_at as date) as administered_date,
           true as scorable, null::integer as total_score, 0 as n_items_missing,
           1::bigint as _through_load_id, 'fixture' as _definitions_hash
    from fixture.safety_flags
    """,
    """
    create table marts.assessment_scores (
        assessment_id varchar, patient_key varchar, site_id varchar, instrument varchar,
        administered_at timestamp, administered_date date, total_score integer,
        prorated boolean, severity_band varchar, cssrs_risk varchar, score_method varchar,
        n_items_answered integer, n_items_missing integer, total_mismatch boolean,
        _through_load_id bigint, _definitions_hash varchar
    )
    """,
    """
    create table fixture.session_effects as
    select session_id, course_id, site_id, route, started_at,
           unnest(string_split(side_effects, ';')) as effect
    from fixture.sessions where side_effects is not null and side_effects <> ''
    union all
    select session_id, course_id, site_id, route, started_at, 'ANY'
    from fixture.sessions where side_effects is not null and side_effects <> ''
    union all
    select session_id, course_id, site_id, route, started_at, 'BP_EXCURSION'
    from fixture.sessions where bp_excursion
    union all
    select session_id, course_id, site_id, route, started_at, 'TERMINATED_EARLY'
    from fixture.sessions where status = 'TERMINATED_EARLY'
    """,
    """
    create table marts.side_effect_rates as
    with session_groups as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route,
               count(*) as n_sessions
        from fixture.sessions group by cube (site_id, route) having count(*) > 0
    ), session_effect_counts as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route, effect,
               count(*) as n_sessions_with_effect
        from fixture.session_effects group by grouping sets ((site_id, route, effect),
            (site_id, effect), (route, effect), (effect))
    ), course_groups as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route,
               count(*) as n_courses
        from marts.course_outcomes where is_primary
        group by cube (site_id, route) having count(*) > 0
    ), course_effects as (
        select distinct e.course_id, e.effect, c.site_id, c.route
        from fixture.session_effects as e
        join marts.course_outcomes as c on e.course_id = c.course_id and c.is_primary
    ), course_effect_counts as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route, effect,
               count(*) as n_courses_with_effect
        from course_effects group by grouping sets ((site_id, route, effect),
            (site_id, effect), (route, effect), (effect))
    ), groups as (
        select site_id, route from session_groups union select site_id, route from course_groups
    ), counts as (
        select g.site_id, g.route, e.effect, e.display_order,
               coalesce(sg.n_sessions, 0) as n_sessions,
               coalesce(se.n_sessions_with_effect, 0) as n_sessions_with_effect,
               coalesce(cg.n_courses, 0) as n_courses,
               coalesce(ce.n_courses_with_effect, 0) as n_courses_with_effect
        from groups as g cross join seeds.session_effects as e
        left join session_groups as sg using (site_id, route)
        left join session_effect_counts as se
            on se.site_id = g.site_id and se.route = g.route and se.effect = e.effect
        left join course_groups as cg on cg.site_id = g.site_id and cg.route = g.route
        left join course_effect_counts as ce
            on ce.site_id = g.site_id and ce.route = g.route and ce.effect = e.effect
    )
    select site_id, route, effect, n_sessions, n_sessions_with_effect,
           ratio(n_sessions_with_effect, n_sessions) as session_rate,
           wilson_low(n_sessions_with_effect, n_sessions) as session_ci_low,
           wilson_high(n_sessions_with_effect, n_sessions) as session_ci_high,
           n_courses, n_courses_with_effect,
           ratio(n_courses_with_effect, n_courses) as course_rate,
           wilson_low(n_courses_with_effect, n_courses) as course_ci_low,
           wilson_high(n_courses_with_effect, n_courses) as course_ci_high,
           cast(display_order as integer) as effect_order,
           small(n_sessions_with_effect) or small(n_sessions)
               or small(n_sessions - n_sessions_with_effect) as small_cell_session,
           small(n_courses_with_effect) or small(n_courses)
               or small(n_courses - n_courses_with_effect) as small_cell_course
    from counts
    """,
    """
    create table marts.adverse_event_rates as
    with events as (
        select e.*, s.route,
               case when e.serious then 'SERIOUS' else 'NOT_SERIOUS' end as seriousness
        from fixture.adverse_events as e left join fixture.sessions as s using (session_id)
    ), event_counts as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route,
               coalesce(category, 'ALL') as category, coalesce(severity, 'ALL') as severity,
               coalesce(seriousness, 'ALL') as seriousness,
               count(*) as n_events, count(distinct patient_key) as n_patients
        from events
        group by cube (site_id, route, category, severity, seriousness) having count(*) > 0
    ), session_counts as (
        select coalesce(site_id, 'ALL') as site_id, coalesce(route, 'ALL') as route,
               count(*) as n_sessions
        from fixture.sessions group by cube (site_id, route) having count(*) > 0
    ), categories as (
        select category from seeds.adverse_event_categories union all select 'ALL'
    ), severities as (
        select severity from seeds.adverse_event_severities union all select 'ALL'
    ), seriousness_levels as (
        select unnest(['SERIOUS', 'NOT_SERIOUS', 'ALL']) as seriousness
    )
    select s.site_id, s.route, c.category, v.severity, l.seriousness,
           coalesce(e.n_events, 0) as n_events, coalesce(e.n_patients, 0) as n_patients,
           s.n_sessions, 1000 * ratio(coalesce(e.n_events, 0), s.n_sessions)
               as events_per_1000_sessions,
           small(e.n_events) or small(e.n_patients) as small_cell
    from session_counts as s cross join categories as c cross join severities as v
    cross join seriousness_levels as l
    left join event_counts as e on e.site_id = s.site_id and e.route = s.route
        and e.category = c.category and e.severity = v.severity and e.seriousness = l.seriousness
    """,
    """
    create table marts.data_quality_quarantine as
    select coalesce(upper(trim(json_extract_string(row_json, '$.site_id'))), 'UNKNOWN') as site_id,
           cast(date_trunc('month', quarantined_at) as date) as month, entity, reason,
           count(*) as n_rows, count(distinct file_sha256) as n_files
    from ops.quarantine group by all
    """,
    """
    create table marts.data_quality_monthly as
    with course_months as (
        select site_id, cast(date_trunc('month', course_start_date) as date) as month,
               count(*) as n_courses,
               count(*) filter (where not missing_baseline) as n_courses_with_baseline,
               count(*) filter (where evaluable) as n_courses_evaluable,
               count(*) filter (where itt_eligible) as n_itt_courses,
               count(*) filter (where completer) as n_completer_courses
        from marts.course_outcomes where is_primary group by all
    ), session_months as (
        select site_id, cast(date_trunc('month', started_at) as date) as month,
               count(*) as n_countable_sessions
        from fixture.sessions group by all
    ), quarantine_months as (
        select site_id, month, sum(n_rows) as n_quarantined_rows,
               string_agg(reason || '=' || n_rows, '; ' order by n_rows desc, reason)
                   as quarantine_reasons
        from marts.data_quality_quarantine group by all
    ), site_months as (
        select site_id, month from course_months union select site_id, month from session_months
        union select site_id, month from quarantine_months
    )
    select m.site_id, m.month,
           coalesce(c.n_courses, 0) as n_courses,
           coalesce(c.n_courses_with_baseline, 0) as n_courses_with_baseline,
           coalesce(c.n_courses_evaluable, 0) as n_courses_evaluable,
           ratio(coalesce(c.n_courses_evaluable, 0), c.n_courses) as evaluable_baseline_rate,
           coalesce(c.n_itt_courses, 0) as n_itt_courses,
           coalesce(c.n_completer_courses, 0) as n_completer_courses,
           ratio(c.n_completer_courses, c.n_itt_courses) as follow_up_rate,
           wilson_low(c.n_completer_courses, c.n_itt_courses) as follow_up_ci_low,
           wilson_high(c.n_completer_courses, c.n_itt_courses) as follow_up_ci_high,
           coalesce(s.n_countable_sessions, 0) as n_countable_sessions,
           coalesce(s.n_countable_sessions, 0) as n_administrations,
           0 as n_administrations_not_scorable, 0 as n_administrations_prorated,
           0 as n_orphan_sessions, 0 as n_orphan_administrations, 0 as n_orphan_adverse_events,
           coalesce(q.n_quarantined_rows, 0) as n_quarantined_rows, q.quarantine_reasons
    from site_months as m
    left join course_months as c using (site_id, month)
    left join session_months as s using (site_id, month)
    left join quarantine_months as q using (site_id, month)
    """,
    """
    create table marts.as_of as
    select (select max(as_of_date) from fixture.as_of) as as_of_date,
           max(loaded_at) filter (where status = 'LOADED') as last_loaded_at,
           max(loaded_at) as last_file_seen_at,
           count(*) filter (where status = 'LOADED') as n_files_loaded,
           count(*) filter (where status like 'REJECTED%') as n_files_rejected,
           cast(coalesce(sum(rows_quarantined) filter (where status = 'LOADED'), 0) as bigint)
               as n_rows_quarantined,
           timestamp '2026-07-01 06:00:00' as built_at_utc
    from ops.ingest_manifest
    """,
]

_EXPECTED_MARTS = [
    """
    create table marts.session_dissociation as
    select session_id, course_id, site_id, route, drug, cast(started_at as date) as session_date,
           status, dose_mg, weight_kg,
           case when weight_kg > 0 then dose_mg / weight_kg end as dose_mg_per_kg,
           cadss, null::integer as moaas_min, null::integer as spo2_min, patient_key,
           1::bigint as _through_load_id, 'fixture' as _definitions_hash
    from fixture.sessions
    """,
    """
    create table marts.side_effects_monthly as
    with months as (
        select coalesce(site_id, 'ALL') as site_id,
               cast(date_trunc('month', started_at) as date) as month, count(*) as n_sessions
        from fixture.sessions group by grouping sets ((site_id, 2), (2))
    ), effect_months as (
        select coalesce(site_id, 'ALL') as site_id,
               cast(date_trunc('month', started_at) as date) as month, effect,
               count(*) as n_sessions_with_effect
        from fixture.session_effects group by grouping sets ((site_id, 2, effect), (2, effect))
    ), counts as (
        select m.site_id, m.month, e.effect, e.display_order, m.n_sessions,
               coalesce(x.n_sessions_with_effect, 0) as n_sessions_with_effect
        from months as m cross join seeds.session_effects as e
        left join effect_months as x
            on x.site_id = m.site_id and x.month = m.month and x.effect = e.effect
    )
    select site_id, month, effect, n_sessions, n_sessions_with_effect,
           ratio(n_sessions_with_effect, n_sessions) as session_rate,
           wilson_low(n_sessions_with_effect, n_sessions) as session_ci_low,
           wilson_high(n_sessions_with_effect, n_sessions) as session_ci_high,
           cast(display_order as integer) as effect_order
    from counts
    """,
]
