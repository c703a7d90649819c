"""Shared by the end-to-end tests: run the real `ketreg run`, read the warehouse it left.

Every run gets its own KETREG_HOME (interface.md: two homes share nothing) and a
copy of its inbox, because the job moves rejected files out of the inbox.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]

# spec/outcomes.md, "Rates".
Z = 1.959964


@dataclass(frozen=True)
class Run:
    home: Path
    inbox: Path
    result: subprocess.CompletedProcess
    seconds: float

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def failure(self) -> str:
        return f"ketreg run exited {self.result.returncode}:\n{self.result.stdout[-4000:]}\n" \
               f"{self.result.stderr[-4000:]}"


def ketreg_run(home: Path, inbox: Path, timeout: float = 900) -> Run:
    """`python -m orchestration.cli run --inbox INBOX` with KETREG_HOME=HOME, as a user would."""
    env = {**os.environ, "KETREG_HOME": str(home)}
    # Would override KETREG_HOME/warehouse.duckdb (settings.py).
    env.pop("KETREG_WAREHOUSE", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--inbox", str(inbox)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )
    return Run(home=home, inbox=inbox, result=result, seconds=time.monotonic() - started)


def read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    (value,) = con.execute(sql, params or []).fetchone()
    return value


def r4(value: float | None) -> float | None:
    """A rate as compared: four decimals (None stays None)."""
    return None if value is None else round(value, 4)


def wilson(x: int, n: int) -> tuple[float, float] | tuple[None, None]:
    """95% Wilson score interval, in the closed form (x + z²/2 ± z·√(x(n-x)/n + z²/4)) / (n + z²).

    Algebraically the spec's centre ± half, written differently on purpose so
    that it checks the models' macro rather than repeating it.
    """
    if n == 0:
        return None, None
    z2 = Z * Z
    spread = Z * math.sqrt(x * (n - x) / n + z2 / 4)
    return (x + z2 / 2 - spread) / (n + z2), (x + z2 / 2 + spread) / (n + z2)
