"""Reading the published snapshot: where it is, which version it is, and cached queries.

The dashboards never open the warehouse (design.md): only the snapshot file
that the pipeline swaps in with os.replace.

One read-only connection per snapshot version. The file is identified by its
stat (os.replace gives it a new inode), so a script run costs one stat() when
nothing changed. The file is ATTACHed to a private in-memory database rather
than opened with duckdb.connect(path): DuckDB keeps one database instance per
path in a process, so while any connection to the old file was still open, a
new connect(path) would be handed the old snapshot again. Each query runs on
its own cursor, the thread-safe way to share a DuckDB database.

Results are cached per version: a query runs once per version and arguments,
for every session. A read whose connection holds a newer version than the one
its cache key names raises SnapshotChanged (the app reruns), so a newer
frame is never cached under an older version.

This is also the data-access layer: every page reads through fetch_safe (or,
for choices without counts, fetch), for the viewer signed in to the session
(dashboards.access.session). It refuses a site or a query the viewer's role
does not cover, passes the viewer's sites to the query's SQL, suppresses small
cells for that viewer, and caches suppressed results under the viewer's own
sites, so that one viewer's cells are never served to another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.access import session
from dashboards.access.roles import Viewer
from dashboards.suppression import (
    ALL,
    OTHERS,
    Policy,
    SafeFrame,
    current_policy,
    fixed_keys,
    suppress,
)
from orchestration import settings as ketreg_settings

# fetch_safe's scope for one row per site the viewer may see.
EACH = "EACH"

SNAPSHOT_CATALOG = "snapshot"


class SnapshotChanged(Exception):
    """The snapshot was replaced while a script run was reading it."""


class MissingTables(Exception):
    """The snapshot lacks a table a query needs."""

    def __init__(self, tables: list[str]):
        super().__init__(", ".join(tables))
        self.tables = tables


@dataclass(frozen=True)
class SnapshotInfo:
    path: str
    version: str
    run_id: str
    published_at: datetime


@dataclass(frozen=True)
class OpenSnapshot:
    info: SnapshotInfo
    connection: duckdb.DuckDBPyConnection

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self.connection.cursor()
        cursor.execute(f"use {SNAPSHOT_CATALOG}")
        return cursor


def snapshot_path() -> Path:
    return ketreg_settings.load().snapshot


def open_snapshot(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the snapshot file as it is now (see the module's docstring)."""
    settings = ketreg_settings.load()
    # The registry's own DuckDB limits; a large query spills under KETREG_HOME, not the cwd.
    connection = duckdb.connect(":memory:", config={
        "threads": settings.duckdb_threads, "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(settings.home / "tmp"),
    })
    try:
        quoted = str(path).replace("'", "''")
        connection.execute(f"attach '{quoted}' as {SNAPSHOT_CATALOG} (read_only)")
        connection.execute(f"use {SNAPSHOT_CATALOG}")
    except duckdb.Error:
        connection.close()
        raise
    return connection


def current_snapshot() -> SnapshotInfo | None:
    """The published snapshot's identity, or None when nothing is published yet."""
    snapshot = _current()
    return snapshot.info if snapshot else None


def _current() -> OpenSnapshot | None:
    path = snapshot_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _open(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _close(snapshot: OpenSnapshot) -> None:
    snapshot.connection.close()


# Two entries: the current snapshot, and the previous one for a run still reading it.
@st.cache_resource(max_entries=2, show_spinner=False, on_release=_close)
def _open(path: str, inode: int, mtime_ns: int, size: int) -> OpenSnapshot:
    connection = open_snapshot(path)
    try:
        version, run_id, published_at = connection.execute(queries.SNAPSHOT_INFO_SQL).fetchone()
    except duckdb.Error:
        connection.close()
        raise
    return OpenSnapshot(SnapshotInfo(path, version, run_id, published_at), connection)


class AccessDenied(Exception):
    """A viewer asked for what their role does not cover."""


def _viewer(viewer: Viewer | None) -> Viewer:
    viewer = viewer or session.current_viewer()
    if viewer is None:
        raise AccessDenied("no one is signed in")
    return viewer


def policy_for(viewer: Viewer) -> Policy:
    """Small cells for this viewer: exact for their own sites (a site role); the network
    role sees counts of 1-10 only where KETREG_SHOW_SMALL_CELLS=1 allows it."""
    base = current_policy()
    if viewer.is_network:
        return Policy(threshold=base.threshold, show_exact=base.show_exact)
    return Policy(threshold=base.threshold, exact_sites=frozenset(viewer.own_sites))


def visible_sites(viewer: Viewer | None = None) -> list[str]:
    """The sites this viewer may pick: every site of the snapshot, or their own."""
    viewer = _viewer(viewer)
    if not viewer.is_network:
        return list(viewer.own_sites)
    try:
        return fetch(queries.sites, viewer=viewer)["site_id"].tolist()
    except MissingTables:
        return []


def _check_scope(viewer: Viewer, scope: str) -> None:
    if scope in (ALL, EACH):
        return
    if not viewer.role.allows(scope):
        raise AccessDenied(f"{viewer.name} ({viewer.role}) may not see site {scope!r}")


def _row_sites(viewer: Viewer, scope: str) -> tuple[str, ...] | None:
    """The sites a row query is restricted to: the scope's, within the viewer's role."""
    if scope in (ALL, EACH):
        return viewer.own_sites  # None: every site (network)
    return (scope,)


def fetch(query: queries.Query, *, scope: str = ALL, viewer: Viewer | None = None,
          **params) -> pd.DataFrame:
    """The result of a query without patient counts (definitions, the sites, the filter
    options): for computing choices, never counts. Row queries see the viewer's sites only."""
    if query.cells.counts or query.scoped == queries.CUBE:
        raise AccessDenied(f"{query.name} has counts: use fetch_safe")
    viewer = _viewer(viewer)
    _check_access(viewer, query, scope)
    if query.scoped == queries.ROWS:
        params = {"sites": _row_sites(viewer, scope), **params}
    return _run_cached(*_key(query, params))


def fetch_safe(query: queries.Query, *, scope: str = ALL, viewer: Viewer | None = None,
               **params) -> SafeFrame:
    """The result of `query` for the signed-in viewer, small cells suppressed: ready to show.

    `scope`: 'ALL' (the network: the benchmark for a site viewer), one site, or EACH
    (every site the viewer may see, one row each). Cube queries are suppressed as a
    whole, every site and the network together (so that no view, nor any difference
    between two views, gives a small count away), then cut to `scope`.
    """
    viewer = _viewer(viewer)
    _check_access(viewer, query, scope)
    session.note_query(scope if query.scoped else None, params)
    policy = policy_for(viewer)
    if query.scoped == queries.CUBE:
        own = viewer.own_sites
        cube = _suppressed_cube(*_key(query, params), own, policy)
        return _slice(cube, query, scope)
    if query.scoped == queries.ROWS:
        params = {"sites": _row_sites(viewer, scope), **params}
    frame = _run_cached(*_key(query, params))
    return suppress(frame, query.cells, policy)


def _check_access(viewer: Viewer, query: queries.Query, scope: str) -> None:
    if query.network_only and not viewer.is_network:
        raise AccessDenied(f"{query.name} is for the network role")
    _check_scope(viewer, scope)


def _key(query: queries.Query, params: dict) -> tuple[str, str, tuple]:
    info = current_snapshot()
    if info is None:
        raise MissingTables(["the snapshot itself"])
    return info.version, query.name, tuple(sorted(params.items()))


def _slice(cube: SafeFrame, query: queries.Query, scope: str) -> SafeFrame:
    site = cube.values[query.cells.site_column]
    keep = (site != ALL) & (site != OTHERS) if scope == EACH else site == scope
    frame = cube.where(keep).reset_index()
    if scope != EACH and not query.keep_site:
        frame = frame.drop([query.cells.site_column])
    return frame


# Keyed by the snapshot's version, the query and its parameters, the viewer's own sites
# (None for the network) and their policy: one viewer's cells are never served to another.
@st.cache_data(max_entries=512, show_spinner=False)
def _suppressed_cube(version: str, name: str, params: tuple, own: tuple[str, ...] | None,
                     policy: Policy) -> SafeFrame:
    query = queries.QUERIES[name]
    frame = _run_cached(version, name, (("buckets", queries.Buckets(own)), *params))
    fixed = {}
    for column, source in (query.linked or {}).items():
        other = queries.QUERIES[source]
        fixed.update(fixed_keys(_suppressed_cube(version, source, (), own, policy),
                                other.cells, column))
    return suppress(frame, query.cells, policy, fixed=fixed)


@st.cache_data(max_entries=1024, show_spinner=False)
def _run_cached(version: str, name: str, params: tuple) -> pd.DataFrame:
    """The raw result: only ever returned by fetch (no counts) or passed to suppression."""
    snapshot = _current()
    if snapshot is None or snapshot.info.version != version:
        raise SnapshotChanged(f"{version} -> {snapshot.info.version if snapshot else 'none'}")
    query = queries.QUERIES[name]
    try:
        cursor = snapshot.cursor()
        try:
            missing = [table for table in query.needs if not _has_table(cursor, table)]
            if missing:
                raise MissingTables(missing)
            return query.run(cursor, **dict(params))
        finally:
            cursor.close()
    except duckdb.ConnectionException as closed:
        # Two newer snapshots were published during this run, and the cache let this
        # version's connection go: what it was reading is no longer current anyway.
        raise SnapshotChanged(f"{version} was closed") from closed


def _has_table(cursor: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    schema, table = qualified_name.split(".")
    (count,) = cursor.execute(queries.TABLE_EXISTS_SQL, [schema, table]).fetchone()
    return count > 0


def gx_directory() -> Path:
    return ketreg_settings.load().gx_dir


def gx_data_docs() -> list[Path]:
    """The Great Expectations Data Docs index pages under KETREG_HOME/gx, shortest path first."""
    if not gx_directory().is_dir():
        return []
    return sorted(gx_directory().glob("**/index.html"), key=lambda p: (len(p.parts), str(p)))
