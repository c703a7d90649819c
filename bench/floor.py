"""The baseline every figure is compared with: DuckDB alone loading the same files.

Each file becomes one table, with DuckDB's own type detection and nothing else:
no contract, no versions, no quarantine, no checks. A registry cannot be
faster than this; the question is how close it stays.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.defs.ingest.inbox import settled_files


def load_floor(inbox: Path, database: Path, memory_limit: str = "3GB", threads: int = 2) -> int:
    """Load every inbox file into its own table; returns the rows loaded."""
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database), config={"memory_limit": memory_limit,
                                                "threads": threads})
    rows = 0
    try:
        for i, path in enumerate(settled_files(inbox)):
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            con.execute(f"create table file_{i} as select * from {reader}(?)", [str(path)])
            rows += con.execute(f"select count(*) from file_{i}").fetchone()[0]
    finally:
        con.close()
    return rows
