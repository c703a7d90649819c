"""The warehouse connection every asset of the job shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from orchestration import settings as ketreg_settings


class WarehouseResource(DuckDBResource):
    """DuckDBResource whose connection is closed even when the step fails.

    The stock resource leaves the connection open when the body raises; the
    dbt subprocess and the run summary then find the file locked by a
    connection nobody uses.
    """

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(self.database, config=dict(self.connection_config))
        try:
            yield con
        finally:
            con.close()


def warehouse_resource(settings: ketreg_settings.Settings | None = None) -> WarehouseResource:
    settings = settings or ketreg_settings.load()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    (settings.home / "tmp").mkdir(parents=True, exist_ok=True)
    return WarehouseResource(
        database=str(settings.warehouse),
        connection_config={
            "memory_limit": settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            # Large loads spill here rather than fail when memory runs short.
            "temp_directory": str(settings.home / "tmp"),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": warehouse_resource()})
