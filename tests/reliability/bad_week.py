"""One registry through a bad week: every fault followed by the next run.

kill -9 mid-ingest, kill -9 inside the dbt build, kill -9 just after the
snapshot swap, then a clinic's correction whose dbt build fails halfway,
then two ordinary runs started at the same moment. What each fault left
behind is recorded for the tests to judge (test_crash_recovery.py); the
final home is what `ketreg rebuild` is then tried on (test_archive_and_rebuild.py).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.homes import (
    KETREG_WITH_FAULT,
    Exports,
    Started,
    half_loaded_files,
    marts_content,
    phase_reached,
    snapshot_path,
    snapshot_version,
)


@dataclass(frozen=True)
class Fault:
    """What one fault left behind, as the next run would find it."""

    name: str
    phase: str
    returncode: int | None
    half_loaded: list[str]
    snapshot_version: str | None
    output: str


@dataclass(frozen=True)
class BadWeek:
    home: Path
    faults: dict[str, Fault]
    snapshot_before_failed_build: dict[str, list[tuple]]
    snapshot_after_failed_build: dict[str, list[tuple]]
    simultaneous: list[subprocess.CompletedProcess]
    final_snapshot: dict[str, list[tuple]]


def _observe(home: Path, name: str, run: Started, returncode: int | None) -> Fault:
    warehouse = home / "warehouse.duckdb"
    return Fault(name, phase_reached(run.output()), returncode,
                 half_loaded_files(warehouse) if warehouse.exists() else [],
                 snapshot_version(home), run.output())


def _kill_when(home: Path, inbox: Path, name: str, marker: str) -> Fault:
    run = Started(home, ["run", "--inbox", str(inbox)])
    run.wait_for(marker)
    run.kill()
    return _observe(home, name, run, None)


def live_through_a_bad_week(exports: Exports, home: Path) -> BadWeek:
    inbox = exports.fill(home / "inbox", correction=False)
    faults = {}
    for fault in (
        _kill_when(home, inbox, "kill -9 after the third file", r"\[3/\d+\] "),
        # dbt prints "N of M OK|PASS ..." per node: the 100th of ~190 is mid-build,
        # after the staging models and some incremental intermediate ones.
        _kill_when(home, inbox, "kill -9 inside dbt build", r"\b100 of \d+ (OK|PASS)"),
        _kill_when(home, inbox, "kill -9 right after the swap", r"published \S+ \(version "),
    ):
        faults[fault.name] = fault
    snapshot_before = marts_content(snapshot_path(home))

    shutil.copy2(exports.correction, inbox / exports.correction.name)
    failing = Started(home, ["dbt-model-fails", "run", "--inbox", str(inbox)],
                      module=KETREG_WITH_FAULT)
    result = failing.wait()
    faults["dbt build fails halfway"] = _observe(home, "dbt build fails halfway", failing,
                                                 result.returncode)
    snapshot_after = marts_content(snapshot_path(home))

    runs = [Started(home, ["run", "--inbox", str(inbox)]) for _ in range(2)]
    # Both start before either can take the run lock: importing the job takes seconds.
    simultaneous = [run.wait() for run in runs]
    return BadWeek(home, faults, snapshot_before, snapshot_after, simultaneous,
                   marts_content(snapshot_path(home)))
