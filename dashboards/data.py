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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.suppression import SafeFrame, suppress
from orchestration import settings as ketreg_settings

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


def fetch(query: queries.Query, **params) -> pd.DataFrame:
    """The exact result of `query` on the current snapshot: for computing, never for showing."""
    info = current_snapshot()
    if info is None:
        raise MissingTables(["the snapshot itself"])
    return _run_cached(info.version, query.name, tuple(sorted(params.items())))


def fetch_safe(query: queries.Query, *, site: str | None = None, **params) -> SafeFrame:
    """The result of `query`, small cells suppressed by the query's own rules: ready to show.

    `site` is passed to the query when given, and tells suppression whose rows these are.
    """
    site_param = {"site": site} if site is not None else {}
    return suppress(fetch(query, **site_param, **params), query.cells, site=site)


@st.cache_data(max_entries=1024, show_spinner=False)
def _run_cached(version: str, name: str, params: tuple) -> pd.DataFrame:
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
