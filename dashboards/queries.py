"""Every SQL query the dashboards run against the published snapshot.

Each query aggregates in DuckDB and returns a small frame: no page reads row
level data it then summarises in pandas (course_outcomes has ~150k rows at
100,000 patients; assessment-level data is never read). Each declares the
tables it needs, so that a page can say which one a snapshot lacks, and which
of its columns are small-cell counts (dashboards.suppression).

Filters: `site` is a site_id or 'ALL'; `routes` and `indications` are tuples,
empty meaning all; `start` and `end` bound course_start_date, None meaning open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from dashboards.suppression import NO_PATIENT_COUNTS, Cells, rate_columns

ALL = "ALL"


@dataclass(frozen=True)
class Query:
    name: str
    needs: tuple[str, ...]
    run: Callable[..., pd.DataFrame]
    cells: Cells


QUERIES: dict[str, Query] = {}


def _query(*needs: str, cells: Cells):
    def register(function: Callable[..., pd.DataFrame]) -> Query:
        query = Query(function.__name__, needs, function, cells)
        QUERIES[query.name] = query
        return query
    return register


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _site_filter(column: str, site: str) -> tuple[str, list]:
    if site == ALL:
        return "true", []
    return f"{column} = ?", [site]


def _course_filter(alias: str, site: str, start: date | None, end: date | None,
                   routes: tuple[str, ...], indications: tuple[str, ...]) -> tuple[str, list]:
    clauses, params = [], []
    if site != ALL:
        clauses.append(f"{alias}.site_id = ?")
        params.append(site)
    if start is not None:
        clauses.append(f"{alias}.course_start_date >= ?")
        params.append(start)
    if end is not None:
        clauses.append(f"{alias}.course_start_date <= ?")
        params.append(end)
    if routes:
        clauses.append(f"list_contains(?::varchar[], {alias}.route)")
        params.append(list(routes))
    if indications:
        clauses.append(f"list_contains(?::varchar[], {alias}.indication)")
        params.append(list(indications))
    return " and ".join(clauses) or "true", params


# --- the snapshot itself -------------------------------------------------------------

SNAPSHOT_INFO_SQL = "select version, run_id, published_at from main.snapshot_info"
TABLE_EXISTS_SQL = """
    select count(*) from information_schema.tables
    where table_catalog = current_database() and table_schema = ? and table_name = ?
"""

# --- definitions ---------------------------------------------------------------------


@_query("marts.definitions", cells=NO_PATIENT_COUNTS)
def definitions(con) -> pd.DataFrame:
    return _frame(con, """
        select definition, scope, value, unit, description, defined_in
        from marts.definitions order by defined_in, definition, scope
    """)


@_query("seeds.instrument_catalog", cells=NO_PATIENT_COUNTS)
def instrument_catalog(con) -> pd.DataFrame:
    return _frame(con, "select * from seeds.instrument_catalog order by instrument")


@_query("seeds.indication_primary_instrument", cells=NO_PATIENT_COUNTS)
def indication_primary_instrument(con) -> pd.DataFrame:
    return _frame(con, "select * from seeds.indication_primary_instrument order by indication")


@_query("seeds.severity_bands", cells=NO_PATIENT_COUNTS)
def severity_bands(con) -> pd.DataFrame:
    return _frame(con, "select * from seeds.severity_bands order by instrument, band_order")


@_query("seeds.session_effects", cells=NO_PATIENT_COUNTS)
def session_effects(con) -> pd.DataFrame:
    return _frame(con, "select * from seeds.session_effects order by display_order")


@_query("seeds.adverse_event_categories", cells=NO_PATIENT_COUNTS)
def adverse_event_categories(con) -> pd.DataFrame:
    return _frame(con, "select * from seeds.adverse_event_categories order by display_order")


# --- freshness and overview ----------------------------------------------------------


@_query("marts.as_of", cells=NO_PATIENT_COUNTS)
def freshness(con) -> pd.DataFrame:
    return _frame(con, """
        select as_of_date, last_loaded_at, last_file_seen_at, n_files_loaded,
               n_files_rejected, built_at_utc
        from marts.as_of
    """)


@_query("marts.course_outcomes", cells=Cells(counts=("n_patients", "n_courses")))
def courses_by_month(con) -> pd.DataFrame:
    return _frame(con, """
        select cast(date_trunc('month', course_start_date) as date) as month,
               count(distinct patient_key) as n_patients,
               count(*) as n_courses
        from marts.course_outcomes
        where is_primary
        group by 1 order by 1
    """)


# Also the cells of the rates a page recomputes from outcome_counts (rates.outcome_rates).
OUTCOME_RATE_CELLS = Cells(
    counts=("n_courses", "n_responders", "n_remitters", "n_itt_courses", "n_completer_courses"),
    rates={
        **rate_columns("response", "n_responders", "n_courses"),
        **rate_columns("remission", "n_remitters", "n_courses"),
        **rate_columns("follow_up", "n_completer_courses", "n_itt_courses"),
    },
)


@_query("marts.outcome_rates", cells=OUTCOME_RATE_CELLS)
def network_outcome_rates(con) -> pd.DataFrame:
    """The published network-wide rates (site, route and indication all 'ALL'), ITT first."""
    return _frame(con, """
        select denominator, n_courses,
               n_responders, response_rate, response_ci_low, response_ci_high,
               n_remitters, remission_rate, remission_ci_low, remission_ci_high,
               n_itt_courses, n_completer_courses,
               follow_up_rate, follow_up_ci_low, follow_up_ci_high,
               primary_instruments
        from marts.outcome_rates
        where site_id = 'ALL' and route = 'ALL' and indication = 'ALL'
        order by denominator = 'ITT' desc
    """)


@_query("marts.safety_flags", "marts.as_of", cells=Cells(counts=("n_flags", "n_patients")))
def recent_safety_flags(con, days: int) -> pd.DataFrame:
    """Flags raised on the last `days` calendar days up to and including as_of_date."""
    return _frame(con, """
        select f.reason, f.level,
               count(*) as n_flags, count(distinct f.patient_key) as n_patients
        from marts.safety_flags as f
        cross join marts.as_of as a
        where f.administered_date > a.as_of_date - cast(? as integer)
        group by f.reason, f.level
        order by f.reason, min(f.level_rank) desc
    """, [days])


# --- outcomes ------------------------------------------------------------------------


@_query("marts.course_outcomes", cells=Cells(counts=("n_courses",)))
def course_filter_options(con) -> pd.DataFrame:
    """What the outcome filters can offer: every site x route x indication x primary instrument."""
    return _frame(con, """
        select site_id, route, indication, instrument,
               min(course_start_date) as first_start, max(course_start_date) as last_start,
               count(*) as n_courses
        from marts.course_outcomes
        where is_primary
        group by all order by all
    """)


@_query("marts.course_outcomes", cells=Cells(
    counts=("n_itt_courses", "n_completer_courses", "n_responders", "n_remitters"),
    site_column=None))
def outcome_counts(con, site: str, start: date | None, end: date | None,
                   routes: tuple[str, ...], indications: tuple[str, ...]) -> pd.DataFrame:
    """ITT courses and their outcomes by route x indication, each also 'ALL'.

    Counts only: the rates are recomputed from them with the Wilson interval
    (dashboards.rates) and the result suppressed with OUTCOME_RATE_CELLS.
    """
    where, params = _course_filter("c", site, start, end, routes, indications)
    return _frame(con, f"""
        select case when grouping(c.route) = 1 then 'ALL' else c.route end as route,
               case when grouping(c.indication) = 1 then 'ALL' else c.indication end as indication,
               count(*) as n_itt_courses,
               count(*) filter (where c.completer) as n_completer_courses,
               count(*) filter (where c.responded) as n_responders,
               count(*) filter (where c.remitted) as n_remitters,
               string_agg(distinct c.instrument, ',' order by c.instrument) as primary_instruments
        from marts.course_outcomes as c
        where c.is_primary and c.itt_eligible and {where}
        group by grouping sets ((c.route, c.indication), (c.route), (c.indication), ())
        having count(*) > 0  -- the empty grouping set has a row even when no course matches
        order by route = 'ALL' desc, route, indication = 'ALL' desc, indication
    """, params)


_QUARTILE_CELLS = Cells(
    counts=("n_courses",),
    resting_on={"score_q1": ("n_courses",), "score_median": ("n_courses",),
                "score_q3": ("n_courses",)},
)


@_query("marts.course_trajectories", "marts.course_outcomes", cells=_QUARTILE_CELLS)
def trajectories(con, site: str, start: date | None, end: date | None,
                 routes: tuple[str, ...], indications: tuple[str, ...],
                 instrument: str) -> pd.DataFrame:
    """Median and quartiles of the primary score by week since course start, by route.

    Evaluable courses only (baseline at least the instrument's minimum), the
    courses every outcome rate starts from.
    """
    where, params = _course_filter("c", site, start, end, routes, indications)
    return _frame(con, f"""
        select t.route, t.week,
               count(*) as n_courses,
               quantile_cont(t.score, 0.25) as score_q1,
               quantile_cont(t.score, 0.5) as score_median,
               quantile_cont(t.score, 0.75) as score_q3
        from marts.course_trajectories as t
        inner join marts.course_outcomes as c
            on t.course_id = c.course_id and c.is_primary
        where t.evaluable and t.instrument = ? and {where}
        group by t.route, t.week
        order by t.route, t.week
    """, [instrument, *params])


@_query("marts.course_outcomes", cells=Cells(counts=("n_courses",)))
def change_distribution(con, site: str, start: date | None, end: date | None,
                        routes: tuple[str, ...], indications: tuple[str, ...],
                        instrument: str) -> pd.DataFrame:
    """Completers by change from baseline in bins of 10 points; the outer bins are open."""
    where, params = _course_filter("c", site, start, end, routes, indications)
    # Rounding first keeps 0.7 * 10 = 6.9999... in the 70% bin.
    return _frame(con, f"""
        with binned as (
            select least(greatest(floor(round(c.change_pct * 10, 9)), -10), 9) * 10 as bin_start
            from marts.course_outcomes as c
            where c.is_primary and c.completer and c.change_pct is not null
              and c.instrument = ? and {where}
        )
        select cast(bin_start as integer) as bin_start_pct,
               case when bin_start <= -100 then 'below -90%'
                    else format('{{}}% to {{}}%', cast(bin_start as integer),
                                cast(bin_start + 10 as integer)) end as bin_label,
               count(*) as n_courses
        from binned
        group by all order by bin_start_pct
    """, [instrument, *params])


# --- safety --------------------------------------------------------------------------


@_query("marts.course_outcomes", "marts.side_effect_rates", "marts.safety_flags",
        cells=NO_PATIENT_COUNTS)
def sites(con) -> pd.DataFrame:
    return _frame(con, """
        select site_id from marts.course_outcomes
        union select site_id from marts.side_effect_rates where site_id <> 'ALL'
        union select site_id from marts.safety_flags
        order by site_id
    """)


_SIDE_EFFECT_CELLS = Cells(
    counts=("n_sessions", "n_sessions_with_effect", "n_courses", "n_courses_with_effect"),
    rates={
        **rate_columns("session", "n_sessions_with_effect", "n_sessions"),
        **rate_columns("course", "n_courses_with_effect", "n_courses"),
    },
    site_column=None,
)


@_query("marts.side_effect_rates", cells=_SIDE_EFFECT_CELLS)
def side_effect_rates(con, site: str) -> pd.DataFrame:
    """Every effect by route (and 'ALL') at one site or the whole network."""
    return _frame(con, """
        select route, effect, effect_order,
               n_sessions, n_sessions_with_effect, session_rate, session_ci_low, session_ci_high,
               n_courses, n_courses_with_effect, course_rate, course_ci_low, course_ci_high
        from marts.side_effect_rates
        where site_id = ?
        order by effect_order, route = 'ALL' desc, route
    """, [site])


_ADVERSE_EVENT_CELLS = Cells(
    counts=("n_events", "n_patients", "n_sessions"),
    resting_on={"events_per_1000_sessions": ("n_events", "n_sessions")},
    site_column=None,
)


@_query("marts.adverse_event_rates", "seeds.adverse_event_categories",
        "seeds.adverse_event_severities", cells=_ADVERSE_EVENT_CELLS)
def adverse_events_by_category(con, site: str, seriousness: str) -> pd.DataFrame:
    """Events per 1,000 countable sessions by category x severity (each also 'ALL'), all routes."""
    return _frame(con, """
        select r.category, r.severity, r.n_events, r.n_patients, r.n_sessions,
               r.events_per_1000_sessions
        from marts.adverse_event_rates as r
        left join seeds.adverse_event_categories as c on r.category = c.category
        left join seeds.adverse_event_severities as s on r.severity = s.severity
        where r.site_id = ? and r.route = 'ALL' and r.seriousness = ?
        order by r.category = 'ALL' desc, c.display_order, r.severity = 'ALL' desc, s.display_order
    """, [site, seriousness])


_DISSOCIATION_CELLS = Cells(
    counts=("n_sessions",),
    resting_on={"cadss_q1": ("n_sessions",), "cadss_median": ("n_sessions",),
                "cadss_q3": ("n_sessions",)},
    site_column=None,
)

# Dose bins of 0.1 mg/kg; everything from DOSE_BIN_CAP up is one bin.
DOSE_BIN_WIDTH = 0.1
DOSE_BIN_CAP = 2.0


@_query("marts.session_dissociation", cells=_DISSOCIATION_CELLS)
def dissociation_by_route(con, site: str) -> pd.DataFrame:
    where, params = _site_filter("site_id", site)
    return _frame(con, f"""
        select route, count(*) as n_sessions,
               quantile_cont(cadss, 0.25) as cadss_q1,
               quantile_cont(cadss, 0.5) as cadss_median,
               quantile_cont(cadss, 0.75) as cadss_q3
        from marts.session_dissociation
        where cadss is not null and {where}
        group by route order by route
    """, params)


@_query("marts.session_dissociation", cells=_DISSOCIATION_CELLS)
def dissociation_by_dose(con, site: str) -> pd.DataFrame:
    where, params = _site_filter("site_id", site)
    return _frame(con, f"""
        select route,
               round(least(floor(dose_mg_per_kg / {DOSE_BIN_WIDTH}) * {DOSE_BIN_WIDTH},
                           {DOSE_BIN_CAP}), 1) as dose_bin_mg_per_kg,
               count(*) as n_sessions,
               quantile_cont(cadss, 0.25) as cadss_q1,
               quantile_cont(cadss, 0.5) as cadss_median,
               quantile_cont(cadss, 0.75) as cadss_q3
        from marts.session_dissociation
        where cadss is not null and dose_mg_per_kg is not null and {where}
        group by all order by route, dose_bin_mg_per_kg
    """, params)


# A list of administrations for the care team, not a count (app_pages/safety_follow_up.py).
@_query("marts.safety_flags", "marts.as_of", cells=NO_PATIENT_COUNTS)
def safety_flag_list(con, site: str, days: int | None) -> pd.DataFrame:
    """Every flag, newest first; `days` keeps the last days up to as_of_date (None: all)."""
    where, params = _site_filter("f.site_id", site)
    window = "true" if days is None else "f.administered_date > a.as_of_date - cast(? as integer)"
    return _frame(con, f"""
        select f.administered_at, f.site_id, f.patient_key, f.reason, f.level,
               f.instrument, f.assessment_id
        from marts.safety_flags as f
        cross join (select max(as_of_date) as as_of_date from marts.as_of) as a
        where {where} and {window}
        order by f.administered_at desc, f.level_rank desc, f.assessment_id
    """, [*params, *([] if days is None else [days])])


# --- quality improvement -------------------------------------------------------------


_MONTHLY_PROPORTION_CELLS = Cells(counts=("x", "n"), site_column=None)


@_query("marts.course_outcomes", cells=_MONTHLY_PROPORTION_CELLS)
def monthly_itt_response(con, site: str) -> pd.DataFrame:
    """ITT courses (n) and responders (x) by month of course start."""
    where, params = _site_filter("site_id", site)
    return _frame(con, f"""
        select cast(date_trunc('month', course_start_date) as date) as month,
               count(*) filter (where responded) as x,
               count(*) as n
        from marts.course_outcomes
        where is_primary and itt_eligible and {where}
        group by 1 order by 1
    """, params)


@_query("marts.side_effects_monthly", cells=_MONTHLY_PROPORTION_CELLS)
def monthly_bp_excursions(con, site: str) -> pd.DataFrame:
    """Countable sessions (n) and those with a BP excursion (x) by month; site 'ALL' = network."""
    return _frame(con, """
        select month, n_sessions_with_effect as x, n_sessions as n
        from marts.side_effects_monthly
        where effect = 'BP_EXCURSION' and site_id = ?
        order by month
    """, [site])


# --- data quality --------------------------------------------------------------------

_FILE_ROW_CELLS = Cells(counts=("rows_read", "rows_loaded", "rows_quarantined"), site_column=None)


@_query("ops.ingest_manifest", cells=_FILE_ROW_CELLS)
def files_by_day_and_status(con) -> pd.DataFrame:
    return _frame(con, """
        select cast(loaded_at as date) as day, status, count(*) as n_files,
               sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(rows_quarantined) as rows_quarantined
        from ops.ingest_manifest
        group by all order by day, status
    """)


@_query("ops.ingest_manifest", cells=_FILE_ROW_CELLS)
def recent_files(con, limit: int) -> pd.DataFrame:
    return _frame(con, """
        select loaded_at, file_name, entity, status, rows_read, rows_loaded,
               rows_quarantined, reason, warnings
        from ops.ingest_manifest
        order by loaded_at desc, file_name
        limit ?
    """, [limit])


@_query("ops.quarantine_summary", cells=Cells(counts=("n_rows",), site_column=None))
def quarantine_by_entity_and_reason(con) -> pd.DataFrame:
    return _frame(con, """
        select entity, reason, cast(sum(n_rows) as bigint) as n_rows,
               count(distinct file_sha256) as n_files, max(quarantined_on) as last_quarantined_on
        from ops.quarantine_summary
        group by all order by n_rows desc, entity, reason
    """)


_COMPLETENESS_SUMS = """
    cast(sum(n_courses) as bigint) as n_courses,
    cast(sum(n_courses_with_baseline) as bigint) as n_courses_with_baseline,
    cast(sum(n_itt_courses) as bigint) as n_itt_courses,
    cast(sum(n_completer_courses) as bigint) as n_completer_courses
"""


_COMPLETENESS_CELLS = Cells(
    counts=("n_courses", "n_courses_with_baseline", "n_itt_courses", "n_completer_courses"))


@_query("marts.data_quality_monthly", cells=_COMPLETENESS_CELLS)
def completeness_by_site(con) -> pd.DataFrame:
    """Counts only: the page derives the capture rates, with their own cells."""
    return _frame(con, f"""
        select site_id, {_COMPLETENESS_SUMS}
        from marts.data_quality_monthly
        group by site_id having sum(n_courses) > 0 order by site_id
    """)


@_query("marts.data_quality_monthly", cells=_COMPLETENESS_CELLS)
def completeness_by_month(con) -> pd.DataFrame:
    return _frame(con, f"""
        select month, {_COMPLETENESS_SUMS}
        from marts.data_quality_monthly
        group by month having sum(n_courses) > 0 order by month
    """)


_ORPHAN_COUNTS = ("n_orphan_sessions", "n_orphan_administrations", "n_orphan_adverse_events",
                  "n_administrations_not_scorable", "n_quarantined_rows")


@_query("marts.data_quality_monthly", cells=Cells(counts=_ORPHAN_COUNTS))
def orphans_by_site(con) -> pd.DataFrame:
    sums = ",\n".join(f"cast(sum({c}) as bigint) as {c}" for c in _ORPHAN_COUNTS)
    return _frame(con, f"""
        select site_id, {sums}
        from marts.data_quality_monthly
        group by site_id order by site_id
    """)


@_query("marts.data_quality_monthly", cells=NO_PATIENT_COUNTS)
def site_freshness(con) -> pd.DataFrame:
    return _frame(con, """
        select site_id,
               max(month) filter (where n_countable_sessions > 0) as last_month_with_sessions,
               max(month) filter (where n_administrations > 0) as last_month_with_assessments
        from marts.data_quality_monthly
        where site_id <> 'UNKNOWN'
        group by site_id order by site_id
    """)


# GX describes a failure with its counts ("3 unexpected of 40 rows"), which may be small.
_GX_CELLS = Cells(quoting_counts=("failures",), site_column=None)


@_query("ops.gx_results", cells=_GX_CELLS)
def gx_results_last_run(con) -> pd.DataFrame:
    return _frame(con, """
        select run_id, suite_name, batch, success, evaluated, failed,
               cast(failures as varchar) as failures, validated_at
        from ops.gx_results
        where run_id = (select run_id from ops.gx_results order by validated_at desc limit 1)
        order by success, suite_name, batch
    """)


_DBT_TEST_CELLS = Cells(counts=("failures",), resting_on={"message": ("failures",)},
                        site_column=None)


@_query("ops.dbt_test_results", cells=_DBT_TEST_CELLS)
def dbt_tests_last_run(con) -> pd.DataFrame:
    return _frame(con, """
        select run_id, test_name, status, failures, message, executed_at, unique_id
        from ops.dbt_test_results
        where run_id = (select run_id from ops.dbt_test_results order by executed_at desc limit 1)
        order by status in ('pass', 'skipped'), status, test_name
    """)
