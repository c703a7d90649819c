"""Every SQL query the dashboards run against the published snapshot.

Each query aggregates in DuckDB and returns a small frame: no page reads row
level data it then summarises in pandas (course_outcomes has ~150k rows at
100,000 patients; assessment-level data is never read). Each declares the
tables it needs, so that a page can say which one a snapshot lacks, and which
of its columns are small-cell counts and how they relate (dashboards.suppression).

Sites are applied here, in SQL, from the viewer's role (dashboards.data passes
them in; a page never does):

- a *count* query ("cube") groups by the viewer's site buckets and rolls them up
  to 'ALL': for a network viewer each site is a bucket; for a site viewer each
  of their own sites is one, and every other site falls into one pooled bucket,
  suppression.OTHERS, which only suppression sees (dashboards.data drops it);
- a *row* query (a list of flags, the filter options) is restricted to the sites
  the viewer may see (`sites`, None meaning every site).

Filters: `routes` and `indications` are tuples, empty meaning all; `start` and
`end` bound course_start_date, None meaning open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from dashboards.suppression import ALL, NO_PATIENT_COUNTS, OTHERS, Cells

CUBE, ROWS = "cube", "rows"


@dataclass(frozen=True)
class Buckets:
    """How a cube query groups sites: `own` None for a network viewer (a bucket per site),
    else the site viewer's own sites (every other site pooled in OTHERS)."""

    own: tuple[str, ...] | None = None

    def of(self, column: str) -> tuple[str, list]:
        if self.own is None:
            return column, []
        return (f"(case when list_contains(?::varchar[], {column}) then {column} "
                f"else '{OTHERS}' end)", [list(self.own)])


@dataclass(frozen=True)
class Query:
    name: str
    needs: tuple[str, ...]
    run: Callable[..., pd.DataFrame]
    cells: Cells
    # CUBE: run(con, buckets, **params); ROWS: run(con, sites, **params); None: run(con, **params).
    scoped: str | None = None
    # Registry-wide operations (files, checks): network viewers only.
    network_only: bool = False
    # Keep the site column when one site's (or the network's) rows are returned.
    keep_site: bool = False
    # count -> the query whose suppression decides it: the same count shown by both on a page.
    linked: dict[str, str] | None = None


QUERIES: dict[str, Query] = {}


def _query(*needs: str, cells: Cells, scoped: str | None = None, network_only: bool = False,
           keep_site: bool = False, linked: dict[str, str] | None = None):
    def register(function: Callable[..., pd.DataFrame]) -> Query:
        query = Query(function.__name__, needs, function, cells, scoped, network_only, keep_site,
                      linked)
        QUERIES[query.name] = query
        return query
    return register


def tables_read() -> frozenset[str]:
    """Every table some query reads ("schema.table"): what a snapshot must hold."""
    return frozenset(table for query in QUERIES.values() for table in query.needs)


# Of the marts with a row per course, session or flag, the columns the queries below read:
# a snapshot holds these alone (orchestration/defs/publish/snapshot.py), every other table
# whole. At 100,000 patients these marts are ~2M rows, and copying their other columns,
# which no page shows, was half of every publish. A query reading a column left out here
# fails on the pipeline's own snapshot (tests/dashboards/test_pipeline_snapshot.py).
COLUMNS_READ: dict[str, frozenset[str]] = {
    "marts.course_outcomes": frozenset((
        "patient_key", "site_id", "route", "indication", "instrument", "is_primary",
        "course_start_date", "itt_eligible", "completer", "responded", "remitted", "change_pct",
    )),
    "marts.course_trajectories": frozenset((
        "site_id", "route", "indication", "instrument", "course_start_date", "evaluable",
        "week", "score",
    )),
    "marts.safety_flags": frozenset((
        "assessment_id", "patient_key", "site_id", "instrument", "administered_at",
        "administered_date", "reason", "level", "level_rank",
    )),
    "marts.session_dissociation": frozenset(("site_id", "route", "dose_mg_per_kg", "cadss")),
}


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _quartiles(column: str, names: tuple[str, str, str]) -> str:
    """The quartiles of `column`, interpolated, from one aggregate: one sort per group
    rather than three (DuckDB computes an aggregate repeated in a SELECT once). The
    CADSS quartiles over 3.4M sessions at 500,000 patients: 0.59 s -> 0.30 s."""
    quartiles = f"quantile_cont({column}, [0.25, 0.5, 0.75])"
    return ", ".join(f"{quartiles}[{i}] as {name}" for i, name in enumerate(names, start=1))


def _sites_filter(column: str, sites: tuple[str, ...] | None) -> tuple[str, list]:
    if sites is None:
        return "true", []
    return f"list_contains(?::varchar[], {column})", [list(sites)]


def _course_filter(alias: str, start: date | None, end: date | None,
                   routes: tuple[str, ...], indications: tuple[str, ...]) -> tuple[str, list]:
    clauses, params = [], []
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


def _label(column: str) -> str:
    """A grouping-set column: 'ALL' where it was rolled up."""
    return f"case when grouping({column}) = 1 then '{ALL}' else {column} end as {column}"


SITE_LABEL = f"case when grouping(bucket) = 1 then '{ALL}' else bucket end as site_id"

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


@_query("marts.course_outcomes",
        cells=Cells(counts=("n_patients", "n_courses"), keys=("month",)), scoped=CUBE)
def courses_by_month(con, buckets: Buckets) -> pd.DataFrame:
    bucket, params = buckets.of("site_id")
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket,
                   cast(date_trunc('month', course_start_date) as date) as month, patient_key
            from marts.course_outcomes
            where is_primary
        )
        select {SITE_LABEL}, month,
               count(distinct patient_key) as n_patients,
               count(*) as n_courses
        from base
        group by grouping sets ((bucket, month), (month))
        order by site_id, month
    """, params)


OUTCOME_COUNTS = ("n_itt_courses", "n_completer_courses", "n_responders", "n_remitters")
# Responders and remitters are completers, completers are ITT courses: each part
# leaves a complement (ITT courses without an endpoint, completers who did not respond...).
OUTCOME_NESTING = (("n_completer_courses", "n_itt_courses"),
                   ("n_responders", "n_completer_courses"),
                   ("n_remitters", "n_completer_courses"),
                   ("n_responders", "n_itt_courses"),
                   ("n_remitters", "n_itt_courses"))


@_query("marts.safety_flags", "marts.as_of",
        cells=Cells(counts=("n_flags", "n_patients"), margins=("reason", "level")),
        scoped=CUBE)
def recent_safety_flags(con, buckets: Buckets, days: int) -> pd.DataFrame:
    """Flags raised on the last `days` calendar days up to and including as_of_date, by
    reason and level, each also 'ALL'."""
    bucket, params = buckets.of("f.site_id")
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, f.reason, f.level, f.level_rank, f.patient_key
            from marts.safety_flags as f
            cross join marts.as_of as a
            where f.administered_date > a.as_of_date - cast(? as integer)
        )
        select {SITE_LABEL}, {_label('reason')}, {_label('level')},
               case when grouping(level) = 1 then null else max(level_rank) end as level_rank,
               count(*) as n_flags, count(distinct patient_key) as n_patients
        from base
        group by grouping sets ((bucket, reason, level), (bucket, reason), (bucket),
                                (reason, level), (reason), ())
        order by site_id, reason = 'ALL', reason, level = 'ALL', level_rank desc
    """, [*params, days])


# --- outcomes ------------------------------------------------------------------------


@_query("marts.course_outcomes", cells=NO_PATIENT_COUNTS, scoped=ROWS)
def course_filter_options(con, sites: tuple[str, ...] | None) -> pd.DataFrame:
    """What the outcome filters can offer over these sites: every route x indication x
    primary instrument with its first and last course start, most used first."""
    where, params = _sites_filter("site_id", sites)
    return _frame(con, f"""
        with combinations as (
            select route, indication, instrument,
                   min(course_start_date) as first_start, max(course_start_date) as last_start,
                   count(*) as n
            from marts.course_outcomes
            where is_primary and {where}
            group by all
        ), ranks as (
            select instrument, row_number() over (order by sum(n) desc, instrument)
                       as instrument_rank
            from combinations group by instrument
        )
        select c.route, c.indication, c.instrument, c.first_start, c.last_start,
               r.instrument_rank
        from combinations as c join ranks as r using (instrument)
        order by c.route, c.indication, c.instrument
    """, params)


@_query("marts.course_outcomes", cells=Cells(
    counts=OUTCOME_COUNTS, margins=("route", "indication"), nested=OUTCOME_NESTING),
    scoped=CUBE)
def outcome_counts(con, buckets: Buckets, start: date | None, end: date | None,
                   routes: tuple[str, ...], indications: tuple[str, ...]) -> pd.DataFrame:
    """ITT courses and their outcomes by site x route x indication, each also 'ALL'.

    Counts only: the rates are derived after suppression (dashboards.rates), so that a
    rate is hidden with its counts.
    """
    bucket, bucket_params = buckets.of("c.site_id")
    where, params = _course_filter("c", start, end, routes, indications)
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, c.route, c.indication, c.instrument,
                   c.completer, c.responded, c.remitted
            from marts.course_outcomes as c
            where c.is_primary and c.itt_eligible and {where}
        )
        select {SITE_LABEL}, {_label('route')}, {_label('indication')},
               count(*) as n_itt_courses,
               count(*) filter (where completer) as n_completer_courses,
               count(*) filter (where responded) as n_responders,
               count(*) filter (where remitted) as n_remitters,
               string_agg(distinct instrument, ',' order by instrument) as primary_instruments
        from base
        group by grouping sets ((bucket, route, indication), (bucket, route), (bucket, indication),
                                (bucket), (route, indication), (route), (indication), ())
        having count(*) > 0  -- the empty grouping set has a row even when no course matches
        order by site_id, route = 'ALL' desc, route, indication = 'ALL' desc, indication
    """, [*bucket_params, *params])


_QUARTILE_CELLS = Cells(
    counts=("n_courses",),
    keys=("route", "week"),
    resting_on={"score_q1": ("n_courses",), "score_median": ("n_courses",),
                "score_q3": ("n_courses",)},
)


@_query("marts.course_trajectories", "marts.course_outcomes", cells=_QUARTILE_CELLS,
        scoped=CUBE)
def trajectories(con, buckets: Buckets, start: date | None, end: date | None,
                 routes: tuple[str, ...], indications: tuple[str, ...],
                 instrument: str) -> pd.DataFrame:
    """Median and quartiles of the primary score by week since course start, by route.

    Evaluable courses only (baseline at least the instrument's minimum), the
    courses every outcome rate starts from.
    """
    bucket, bucket_params = buckets.of("t.site_id")
    where, params = _course_filter("t", start, end, routes, indications)
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, t.route, t.week, t.score
            from marts.course_trajectories as t
            where t.evaluable and t.instrument = ? and {where}
        )
        select {SITE_LABEL}, route, week,
               count(*) as n_courses,
               {_quartiles("score", ("score_q1", "score_median", "score_q3"))}
        from base
        group by grouping sets ((bucket, route, week), (route, week))
        order by site_id, route, week
    """, [*bucket_params, instrument, *params])


@_query("marts.course_outcomes",
        cells=Cells(counts=("n_courses",), margins=("bin_label",)), scoped=CUBE)
def change_distribution(con, buckets: Buckets, start: date | None, end: date | None,
                        routes: tuple[str, ...], indications: tuple[str, ...],
                        instrument: str) -> pd.DataFrame:
    """Completers by change from baseline in bins of 10 points; the outer bins are open.

    The 'ALL' bin is the completers of the selection: other tables show it, so
    suppression treats it as known.
    """
    bucket, bucket_params = buckets.of("c.site_id")
    where, params = _course_filter("c", start, end, routes, indications)
    # Rounding first keeps 0.7 * 10 = 6.9999... in the 70% bin.
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket,
                   cast(least(greatest(floor(round(c.change_pct * 10, 9)), -10), 9) * 10
                        as integer) as bin_start_pct
            from marts.course_outcomes as c
            where c.is_primary and c.completer and c.change_pct is not null
              and c.instrument = ? and {where}
        )
        select {SITE_LABEL},
               case when grouping(bin_start_pct) = 1 then null else bin_start_pct end
                   as bin_start_pct,
               case when grouping(bin_start_pct) = 1 then '{ALL}'
                    when bin_start_pct <= -100 then 'below -90%'
                    else format('{{}}% to {{}}%', bin_start_pct, bin_start_pct + 10) end
                   as bin_label,
               count(*) as n_courses
        from base
        group by grouping sets ((bucket, bin_start_pct), (bucket), (bin_start_pct), ())
        order by site_id, bin_start_pct nulls first
    """, [*bucket_params, instrument, *params])


# --- safety --------------------------------------------------------------------------


@_query("marts.course_outcomes", "marts.side_effect_rates", "marts.safety_flags",
        cells=NO_PATIENT_COUNTS, scoped=ROWS)
def sites(con, sites: tuple[str, ...] | None) -> pd.DataFrame:
    where, params = _sites_filter("site_id", sites)
    return _frame(con, f"""
        select site_id from (
            select site_id from marts.course_outcomes
            union select site_id from marts.side_effect_rates where site_id <> 'ALL'
            union select site_id from marts.safety_flags
        ) where {where}
        order by site_id
    """, params)


SIDE_EFFECT_COUNTS = ("n_sessions", "n_sessions_with_effect", "n_courses",
                      "n_courses_with_effect")
_SIDE_EFFECT_CELLS = Cells(
    counts=SIDE_EFFECT_COUNTS,
    margins=("route",),
    keys=("effect",),
    per={"n_sessions": ("route",), "n_courses": ("route",)},
    nested=(("n_sessions_with_effect", "n_sessions"), ("n_courses_with_effect", "n_courses")),
)


@_query("marts.side_effect_rates", cells=_SIDE_EFFECT_CELLS, scoped=CUBE)
def side_effect_counts(con, buckets: Buckets) -> pd.DataFrame:
    """Every effect by site and route (each also 'ALL'); rates are derived after suppression.

    Summed from the mart's rows of each site and route: sessions and courses
    each have one site and one route, so the sums are the mart's own 'ALL' rows.
    """
    bucket, params = buckets.of("site_id")
    sums = ",\n".join(f"cast(sum({c}) as bigint) as {c}" for c in SIDE_EFFECT_COUNTS)
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, route, effect, effect_order, {", ".join(SIDE_EFFECT_COUNTS)}
            from marts.side_effect_rates
            where site_id <> 'ALL' and route <> 'ALL'
        )
        select {SITE_LABEL}, {_label('route')}, effect, effect_order, {sums}
        from base
        group by grouping sets ((bucket, route, effect, effect_order),
                                (bucket, effect, effect_order),
                                (route, effect, effect_order), (effect, effect_order))
        order by site_id, effect_order, route = 'ALL' desc, route
    """, params)


# n_sessions is the same count as side_effect_counts' at route 'ALL': dashboards.data
# hides it alike in both (Query.linked).
_ADVERSE_EVENT_CELLS = Cells(
    counts=("n_events", "n_patients", "n_sessions"),
    margins=("category", "severity", "seriousness"),
    keys=("route",),
    per={"n_sessions": ("route",)},
)


@_query("marts.adverse_event_rates", "seeds.adverse_event_categories",
        "seeds.adverse_event_severities", cells=_ADVERSE_EVENT_CELLS, scoped=CUBE,
        linked={"n_sessions": "side_effect_counts"})
def adverse_event_counts(con, buckets: Buckets) -> pd.DataFrame:
    """Events by category x severity (each also 'ALL') of every seriousness, and by
    category and seriousness (SERIOUS, NOT_SERIOUS, ALL), all routes.

    Rates per 1,000 sessions are derived after suppression. The network's rows
    are the mart's own (a patient with events at two sites counts once there).
    """
    bucket, params = buckets.of("r.site_id")
    shape = "(r.seriousness = 'ALL' or r.severity = 'ALL') and r.route = 'ALL'"
    return _frame(con, f"""
        with rows as (
            select {bucket} as site_id, 'ALL' as route, r.category, r.severity, r.seriousness,
                   cast(sum(r.n_events) as bigint) as n_events,
                   cast(sum(r.n_patients) as bigint) as n_patients,
                   cast(sum(r.n_sessions) as bigint) as n_sessions
            from marts.adverse_event_rates as r
            where r.site_id <> 'ALL' and {shape}
            group by all
            union all
            select 'ALL', 'ALL', r.category, r.severity, r.seriousness, r.n_events, r.n_patients,
                   r.n_sessions
            from marts.adverse_event_rates as r
            where r.site_id = 'ALL' and {shape}
        )
        select rows.*
        from rows
        left join seeds.adverse_event_categories as c on rows.category = c.category
        left join seeds.adverse_event_severities as s on rows.severity = s.severity
        order by site_id, seriousness, rows.category = 'ALL' desc, c.display_order,
                 rows.severity = 'ALL' desc, s.display_order
    """, params)


_DISSOCIATION_CELLS = Cells(
    counts=("n_sessions",),
    margins=("dose_bin",),
    keys=("route",),
    resting_on={"cadss_q1": ("n_sessions",), "cadss_median": ("n_sessions",),
                "cadss_q3": ("n_sessions",)},
)

# Dose bins of 0.1 mg/kg; everything from DOSE_BIN_CAP up is one bin.
DOSE_BIN_WIDTH = 0.1
DOSE_BIN_CAP = 2.0
NO_DOSE = "NONE"


@_query("marts.session_dissociation", cells=_DISSOCIATION_CELLS, scoped=CUBE)
def dissociation(con, buckets: Buckets) -> pd.DataFrame:
    """CADSS by route (dose_bin 'ALL') and by route and dose bin ('NONE': no weight)."""
    bucket, params = buckets.of("site_id")
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, route, cadss,
                   round(least(floor(dose_mg_per_kg / {DOSE_BIN_WIDTH}) * {DOSE_BIN_WIDTH},
                               {DOSE_BIN_CAP}), 1) as dose_bin_mg_per_kg
            from marts.session_dissociation
            where cadss is not null
        )
        select {SITE_LABEL}, route,
               case when grouping(dose_bin_mg_per_kg) = 1 then '{ALL}'
                    when dose_bin_mg_per_kg is null then '{NO_DOSE}'
                    else cast(dose_bin_mg_per_kg as varchar) end as dose_bin,
               case when grouping(dose_bin_mg_per_kg) = 1 then null
                    else dose_bin_mg_per_kg end as dose_bin_mg_per_kg,
               count(*) as n_sessions,
               {_quartiles("cadss", ("cadss_q1", "cadss_median", "cadss_q3"))}
        from base
        group by grouping sets ((bucket, route, dose_bin_mg_per_kg), (bucket, route),
                                (route, dose_bin_mg_per_kg), (route))
        order by site_id, route, dose_bin_mg_per_kg nulls first
    """, params)


# A list of administrations for the care team, not a count (app_pages/safety_follow_up.py).
@_query("marts.safety_flags", "marts.as_of", cells=NO_PATIENT_COUNTS, scoped=ROWS,
        keep_site=True)
def safety_flag_list(con, sites: tuple[str, ...] | None, days: int | None) -> pd.DataFrame:
    """Every flag at these sites, newest first; `days` keeps the last days up to as_of_date
    (None: all)."""
    where, params = _sites_filter("f.site_id", sites)
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


_MONTHLY_PROPORTION_CELLS = Cells(counts=("x", "n"), margins=("month",), nested=(("x", "n"),))


@_query("marts.course_outcomes", cells=_MONTHLY_PROPORTION_CELLS, scoped=CUBE)
def monthly_itt_response(con, buckets: Buckets) -> pd.DataFrame:
    """ITT courses (n) and responders (x) by month of course start (month null: every month)."""
    bucket, params = buckets.of("site_id")
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket,
                   cast(date_trunc('month', course_start_date) as date) as month, responded
            from marts.course_outcomes
            where is_primary and itt_eligible
        )
        select {SITE_LABEL}, month,
               count(*) filter (where responded) as x,
               count(*) as n
        from base
        group by grouping sets ((bucket, month), (bucket), (month), ())
        order by site_id, month nulls first
    """, params)


@_query("marts.side_effects_monthly", cells=_MONTHLY_PROPORTION_CELLS, scoped=CUBE)
def monthly_bp_excursions(con, buckets: Buckets) -> pd.DataFrame:
    """Countable sessions (n) and those with a BP excursion (x) by month (null: every month)."""
    bucket, params = buckets.of("site_id")
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, month, n_sessions_with_effect, n_sessions
            from marts.side_effects_monthly
            where effect = 'BP_EXCURSION' and site_id <> 'ALL'
        )
        select {SITE_LABEL}, month,
               cast(sum(n_sessions_with_effect) as bigint) as x,
               cast(sum(n_sessions) as bigint) as n
        from base
        group by grouping sets ((bucket, month), (bucket), (month), ())
        order by site_id, month nulls first
    """, params)


# --- data quality --------------------------------------------------------------------

_FILE_ROW_CELLS = Cells(counts=("rows_read", "rows_loaded", "rows_quarantined"),
                        sums=(("rows_read", ("rows_loaded", "rows_quarantined")),),
                        site_column=None)


@_query("ops.ingest_manifest", cells=_FILE_ROW_CELLS, network_only=True)
def files_by_day_and_status(con) -> pd.DataFrame:
    return _frame(con, """
        select cast(loaded_at as date) as day, status, count(*) as n_files,
               sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(rows_quarantined) as rows_quarantined
        from ops.ingest_manifest
        group by all order by day, status
    """)


@_query("ops.ingest_manifest", cells=_FILE_ROW_CELLS, network_only=True)
def recent_files(con, limit: int) -> pd.DataFrame:
    return _frame(con, """
        select loaded_at, file_name, entity, status, rows_read, rows_loaded,
               rows_quarantined, reason, warnings
        from ops.ingest_manifest
        order by loaded_at desc, file_name
        limit ?
    """, [limit])


@_query("ops.quarantine_summary", cells=Cells(counts=("n_rows",), site_column=None),
        network_only=True)
def quarantine_by_entity_and_reason(con) -> pd.DataFrame:
    return _frame(con, """
        select entity, reason, cast(sum(n_rows) as bigint) as n_rows,
               count(distinct file_sha256) as n_files, max(quarantined_on) as last_quarantined_on
        from ops.quarantine_summary
        group by all order by n_rows desc, entity, reason
    """)


COMPLETENESS_COUNTS = ("n_courses", "n_courses_with_baseline", "n_itt_courses",
                       "n_completer_courses")
_COMPLETENESS_CELLS = Cells(
    counts=COMPLETENESS_COUNTS,
    margins=("month",),
    nested=(("n_courses_with_baseline", "n_courses"), ("n_itt_courses", "n_courses"),
            ("n_completer_courses", "n_itt_courses")),
)


@_query("marts.data_quality_monthly", cells=_COMPLETENESS_CELLS, scoped=CUBE, keep_site=True)
def completeness(con, buckets: Buckets) -> pd.DataFrame:
    """Course counts by site (month null) and by month (site 'ALL'); the page derives the
    capture rates after suppression."""
    bucket, params = buckets.of("site_id")
    sums = ",\n".join(f"cast(sum({c}) as bigint) as {c}" for c in COMPLETENESS_COUNTS)
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, month, {", ".join(COMPLETENESS_COUNTS)}
            from marts.data_quality_monthly
        )
        select {SITE_LABEL}, month, {sums}
        from base
        group by grouping sets ((bucket), (month), ())
        having sum(n_courses) > 0
        order by site_id, month nulls first
    """, params)


_ORPHAN_COUNTS = ("n_orphan_sessions", "n_orphan_administrations", "n_orphan_adverse_events",
                  "n_administrations_not_scorable", "n_quarantined_rows")


@_query("marts.data_quality_monthly", cells=Cells(counts=_ORPHAN_COUNTS), scoped=CUBE,
        keep_site=True)
def orphans_by_site(con, buckets: Buckets) -> pd.DataFrame:
    bucket, params = buckets.of("site_id")
    sums = ",\n".join(f"cast(sum({c}) as bigint) as {c}" for c in _ORPHAN_COUNTS)
    return _frame(con, f"""
        with base as (
            select {bucket} as bucket, {", ".join(_ORPHAN_COUNTS)}
            from marts.data_quality_monthly
        )
        select {SITE_LABEL}, {sums}
        from base
        group by grouping sets ((bucket), ())
        order by site_id
    """, params)


@_query("marts.data_quality_monthly", cells=NO_PATIENT_COUNTS, scoped=ROWS, keep_site=True)
def site_freshness(con, sites: tuple[str, ...] | None) -> pd.DataFrame:
    where, params = _sites_filter("site_id", sites)
    return _frame(con, f"""
        select site_id,
               max(month) filter (where n_countable_sessions > 0) as last_month_with_sessions,
               max(month) filter (where n_administrations > 0) as last_month_with_assessments
        from marts.data_quality_monthly
        where site_id <> 'UNKNOWN' and {where}
        group by site_id order by site_id
    """, params)


# GX describes a failure with its counts ("3 unexpected of 40 rows"), which may be small.
_GX_CELLS = Cells(quoting_counts=("failures",), site_column=None)


@_query("ops.gx_results", cells=_GX_CELLS, network_only=True)
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


@_query("ops.dbt_test_results", "ops.dbt_definitions_builds", cells=_DBT_TEST_CELLS,
        network_only=True)
def dbt_tests_last_run(con) -> pd.DataFrame:
    """The last run's tests, and the tests of the definitions (seeds) from the run that last
    built them: a run leaves those out while the dbt project is unchanged
    (orchestration/defs/transform/definition_nodes.py)."""
    return _frame(con, """
        with last_run as (
            select run_id from ops.dbt_test_results order by executed_at desc limit 1
        ),
        definitions_run as (
            select run_id from ops.dbt_definitions_builds order by built_at desc limit 1
        )
        select run_id, test_name, status, failures, message, executed_at, unique_id
        from ops.dbt_test_results
        where run_id in (select run_id from last_run)
           or (run_id in (select run_id from definitions_run)
               and unique_id not in (select unique_id from ops.dbt_test_results
                                     where run_id in (select run_id from last_run)))
        order by status in ('pass', 'skipped'), status, test_name
    """)
