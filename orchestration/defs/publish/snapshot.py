"""Publish: the marts the dashboards read, copied into a separate snapshot file.

A DuckDB file has one writer or many readers, never both: if the dashboards
opened the warehouse, a reader would lock the pipeline out. So the last step
of the job copies what the dashboards need into a new file and swaps it in
with os.replace, which is atomic: a dashboard sees the old snapshot or the
new one, never a mix. A reader that still holds the old file keeps reading
it until it reopens. The step runs only when every blocking check before it
passed, so a failed run leaves the previous snapshot published.

Only the tables some dashboard query declares it reads (dashboards.queries) are
copied: no page shows assessment-level rows, so the dashboards' process holds
none (marts.assessment_scores, the largest mart, stays in the warehouse, and
its copy was a third of the publish at 100,000 patients). Of the marts with a
row per course, session or flag, only the columns the queries read are copied
(dashboards.queries.COLUMNS_READ): session ids, doses in mg and weights, the
assessment ids of baselines and endpoints and the like stay in the warehouse.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dashboards.queries import COLUMNS_READ, tables_read
from orchestration.defs.ingest.readers import quote_ident

# What the dashboards may read. Quarantined rows are summarised, never copied:
# their JSON holds the rejected values themselves.
_OPS_VIEWS = {
    "ingest_manifest": "select * from ops.ingest_manifest",
    "quarantine_summary": """
        select m.file_name, q.file_sha256, q.entity, q.reason, q.reason_column,
               cast(q.quarantined_at as date) as quarantined_on, count(*) as n_rows
        from ops.quarantine as q join ops.ingest_manifest as m using (file_sha256)
        group by all
    """,
    "gx_results": "select * from ops.gx_results",
    "dbt_test_results": "select * from ops.dbt_test_results",
    "dbt_definitions_builds": "select * from ops.dbt_definitions_builds",
}


@dataclass(frozen=True)
class Published:
    path: Path
    version: str
    tables: int


def published_columns(table: str, columns: list[str]) -> list[str]:
    """Of `table`'s columns ("schema.table"), in their order, those a snapshot holds."""
    read = COLUMNS_READ.get(table)
    return columns if read is None else [c for c in columns if c in read]


def _columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ? and table_catalog = current_database() order by ordinal_position",
        [schema, table],
    ).fetchall()]


def _tables_in(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database() order by 1",
        [schema],
    ).fetchall()]


def publish_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Path, run_id: str) -> Published:
    """Copy the marts, seeds and ops summaries the dashboards read into `snapshot`,
    atomically."""
    read = tables_read()
    unknown = {t for t in read if t.startswith("ops.")} - {f"ops.{n}" for n in _OPS_VIEWS}
    if unknown:
        raise ValueError(f"dashboard queries read ops tables the publish does not make: "
                         f"{sorted(unknown)}")
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    version = f"{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    staging = snapshot.with_name(f".{snapshot.name}.{version}.partial")
    con.execute(f"attach '{staging}' as snap")
    copied = 0
    try:
        # A mart or seed the warehouse lacks (or, of one with columns picked, every column
        # the dashboards read) is left out: the page that needs it says so.
        for schema in ("marts", "seeds"):
            con.execute(f"create schema snap.{schema}")
            for table in _tables_in(con, schema):
                if f"{schema}.{table}" not in read:
                    continue
                columns = published_columns(f"{schema}.{table}",
                                            _columns_of(con, schema, table))
                if columns:
                    con.execute(f'create table snap.{schema}."{table}" as select '
                                f'{", ".join(quote_ident(c) for c in columns)} '
                                f'from {schema}."{table}"')
                    copied += 1
        con.execute("create schema snap.ops")
        for name, query in _OPS_VIEWS.items():
            if f"ops.{name}" in read:
                con.execute(f"create table snap.ops.{name} as {query}")
                copied += 1
        con.execute(
            "create table snap.main.snapshot_info as "
            "select ? as version, ? as run_id, current_localtimestamp() as published_at",
            [version, run_id],
        )
    finally:
        con.execute("detach snap")
    os.chmod(staging, 0o640)
    os.replace(staging, snapshot)
    # A publish killed mid-write leaves its partial file and the partial's WAL.
    for leftover in snapshot.parent.glob(f".{snapshot.name}.*.partial*"):
        leftover.unlink(missing_ok=True)
    return Published(path=snapshot, version=version, tables=copied)
