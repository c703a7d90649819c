"""Tables of incremental models that an older version built whole.

A model that becomes incremental by patient or by record (dbt_project/macros/
incremental_by_patient.sql, incremental_by_record.sql) finds, in a warehouse built by the
older code, a table without the bookkeeping columns its incremental runs read
(`_through_load_id`, `_definitions_hash`); its build would stop with an error asking for a
full refresh. The run drops such a table first, and dbt builds it whole, as it would in a
new warehouse: an upgrade needs no step by hand, and costs one full build of those models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

WATERMARK_COLUMN = "_through_load_id"
INCREMENTAL_STRATEGIES = ("replace_patients", "replace_records")


def incremental_tables(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(schema, table) of every model the manifest builds with either strategy."""
    return sorted(
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("incremental_strategy") in INCREMENTAL_STRATEGIES
    )


def drop_tables_built_before_incremental(con: duckdb.DuckDBPyConnection,
                                         manifest: Mapping[str, Any]) -> list[str]:
    """Drop each incremental model's table that has no watermark column; returns
    their names. A missing table is left to dbt, which builds it whole anyway."""
    held = {
        (schema, table): columns
        for schema, table, columns in con.execute(
            "select table_schema, table_name, list(column_name) "
            "from information_schema.columns join information_schema.tables "
            "    using (table_catalog, table_schema, table_name) "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            "group by all"
        ).fetchall()
    }
    dropped = []
    for schema, table in incremental_tables(manifest):
        columns = held.get((schema, table))
        if columns is not None and WATERMARK_COLUMN not in columns:
            con.execute(f'drop table "{schema}"."{table}"')
            dropped.append(f"{schema}.{table}")
    return dropped
