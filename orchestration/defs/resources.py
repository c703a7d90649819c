"""The warehouse connection every asset of the job shares."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings as ketreg_settings


def warehouse_resource(settings: ketreg_settings.Settings | None = None) -> DuckDBResource:
    settings = settings or ketreg_settings.load()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    (settings.home / "tmp").mkdir(parents=True, exist_ok=True)
    return DuckDBResource(
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
