"""Every setting of the registry in one place.

All state lives under one folder, KETREG_HOME (interface.md). Settings are read
from the environment each time they are asked for, so that the command line
can point a run at another home or warehouse before the job starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
INSTRUMENT_CATALOG = DBT_PROJECT_DIR / "seeds" / "instrument_catalog.csv"
WAREHOUSE_DDL = PROJECT_ROOT / "orchestration" / "defs" / "ingest" / "warehouse.sql"


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse: Path
    inbox: Path
    # DuckDB's own cap, so that a large load spills to disk instead of
    # exhausting a modest machine.
    duckdb_memory_limit: str
    duckdb_threads: int
    # A file modified more recently than this is assumed to be still being
    # written, and is left for the next run.
    stable_seconds: float
    small_cell_threshold: int
    show_small_cells: bool
    # The freshness check fails when the last loaded export is older than this.
    freshness_days: int

    @property
    def rejected_dir(self) -> Path:
        return self.home / "rejected"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def gx_dir(self) -> Path:
        return self.home / "gx"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def snapshot(self) -> Path:
        return self.home / "snapshot" / "dashboard.duckdb"

    @property
    def mart_volumes(self) -> Path:
        # Row counts of the last published run, the volume check's baseline.
        return self.home / "gx" / "mart_volumes.json"

    @property
    def run_lock(self) -> Path:
        return self.home / "run.lock"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"


def load() -> Settings:
    env = os.environ
    home = Path(env.get("KETREG_HOME", "var")).resolve()
    warehouse = Path(env.get("KETREG_WAREHOUSE") or home / "warehouse.duckdb").resolve()
    return Settings(
        home=home,
        warehouse=warehouse,
        inbox=Path(env.get("KETREG_INBOX") or home / "inbox").resolve(),
        duckdb_memory_limit=env.get("KETREG_DUCKDB_MEMORY_LIMIT", "3GB"),
        duckdb_threads=int(env.get("KETREG_DUCKDB_THREADS", "2")),
        stable_seconds=float(env.get("KETREG_STABLE_SECONDS", "0")),
        small_cell_threshold=int(env.get("KETREG_SMALL_CELL_THRESHOLD", "11")),
        show_small_cells=env.get("KETREG_SHOW_SMALL_CELLS", "") == "1",
        freshness_days=int(env.get("KETREG_FRESHNESS_DAYS", "45")),
    )
