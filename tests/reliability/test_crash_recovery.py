"""kill -9 at any moment, or a build that fails halfway: the next run ends as if nothing happened.

`make test` judges the registry that lived through a bad week (bad_week.py):
after every fault no file may be half loaded, a failed build must keep the
published snapshot, and the end must equal one uninterrupted run of the same
exports (conftest.py). `make soak` adds twenty independent kill points, each
followed by one normal run, spread over a run by time and by progress markers.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.homes import (
    KETREG_WITH_FAULT,
    PUBLISHED_MARTS,
    Started,
    content,
    copy_home,
    differences,
    half_loaded_files,
    marts_content,
    phase_reached,
    run_ketreg,
    snapshot_version,
)

pytestmark = pytest.mark.slow


def test_each_kill_hit_the_phase_it_aimed_at(bad_week):
    phases = {name: fault.phase for name, fault in bad_week.faults.items()
              if name.startswith("kill")}
    assert phases == {
        "kill -9 after the third file": "ingest",
        "kill -9 inside dbt build": "dbt build",
        "kill -9 right after the swap": "after the snapshot swap",
    }


def test_no_fault_leaves_a_file_half_loaded_or_loaded_twice(bad_week):
    assert {name: f.half_loaded for name, f in bad_week.faults.items() if f.half_loaded} == {}


def test_a_failed_dbt_build_exits_non_zero_and_keeps_the_published_snapshot(bad_week):
    failed = bad_week.faults["dbt build fails halfway"]
    swapped = bad_week.faults["kill -9 right after the swap"]
    assert failed.returncode == 1, failed.output[-3000:]
    assert "previously published snapshot stays" in failed.output
    assert re.search(r"ERROR creating sql \w+ model", failed.output)  # the fault hit a model
    assert swapped.snapshot_version is not None
    assert failed.snapshot_version == swapped.snapshot_version
    assert bad_week.snapshot_after_failed_build == bad_week.snapshot_before_failed_build


def test_two_runs_at_once_one_refuses_clearly_and_one_repairs(bad_week):
    codes = sorted(r.returncode for r in bad_week.simultaneous)
    outputs = "\n".join(r.stdout for r in bad_week.simultaneous)
    assert codes == [0, 3], outputs[-3000:]
    assert "another ketreg run is using" in outputs


def test_after_the_bad_week_the_registry_equals_one_uninterrupted_run(bad_week, reference,
                                                                      figures):
    assert differences(reference.content, content(bad_week.home / "warehouse.duckdb")) == []
    kills = [f for name, f in bad_week.faults.items() if name.startswith("kill")]
    figures["kill points in make test (tried/passed)"] = f"{len(kills)}/{len(kills)}"
    figures["uninterrupted run (s)"] = round(reference.seconds)


def test_the_repaired_run_published_the_correction(bad_week):
    # The correction cancels eight sessions: the marts built from it differ from before.
    assert bad_week.final_snapshot != bad_week.snapshot_before_failed_build
    assert bad_week.final_snapshot == marts_content(bad_week.home / "warehouse.duckdb",
                                                    only=PUBLISHED_MARTS)


# --- make soak: independent kill points, each followed by one normal run -----------------

# Fractions of an uninterrupted run measured beside another, as the kill points run...
KILL_TIMES = (0.04, 0.1, 0.16, 0.22, 0.28, 0.34, 0.4, 0.46, 0.52, 0.58, 0.64, 0.7, 0.78)
# ...and progress markers (with a delay after some): after the first, a middle and the
# last file; at the first and the 120th dbt node; during the checks; while the snapshot
# is being written; right after the swap.
KILL_MARKERS = ((r"\[1/\d+\] ", 0), (r"\[12/\d+\] ", 0), (r"\[(\d+)/\1\] ", 0),
                (r"\b1 of \d+ (OK|PASS)", 0), (r"\b120 of \d+ (OK|PASS)", 0),
                (r"Finished dbt command", 0), (r"Finished dbt command", 4),
                (r"published \S+ \(version ", 0))
KILL_WHILE_FILE_EXISTS = ("snapshot/.dashboard.duckdb.*.partial",)


@dataclass(frozen=True)
class KillPoint:
    where: str
    phase: str
    killed: bool  # False: the run had already ended; not a kill point
    half_loaded: list[str]
    rerun_code: int
    differences: list[str]
    leftovers: list[str]

    @property
    def passed(self) -> bool:
        return (not self.half_loaded and self.rerun_code == 0 and not self.differences
                and not self.leftovers)


def _kill_point(exports, reference, home: Path, *, seconds: float | None = None,
                marker: str | None = None, after: float = 0,
                file: str | None = None) -> KillPoint:
    inbox = exports.fill(home / "inbox")
    run = Started(home, ["run", "--inbox", str(inbox)])
    if marker is not None:
        run.wait_for(marker)
        time.sleep(after)
        where = f"{after} s after /{marker}/"
    elif file is not None:
        run.wait_for_file(file)
        where = f"while {file} exists"
    else:
        time.sleep(seconds)
        where = f"{seconds:.0f} s in"
    killed = run.kill() is None
    warehouse = home / "warehouse.duckdb"
    half_loaded = half_loaded_files(warehouse) if warehouse.exists() else []
    rerun = run_ketreg(home, "run", "--inbox", str(inbox))
    found = differences(reference.content, content(warehouse)) if rerun.returncode == 0 else []
    # A partial snapshot (or its WAL) left by the killed publish is cleaned by the next one.
    leftovers = [p.name for p in (home / "snapshot").iterdir() if p.name != "dashboard.duckdb"]
    return KillPoint(where, phase_reached(run.output()), killed, half_loaded,
                     rerun.returncode, found, leftovers)


def _seconds_of_two_runs_side_by_side(exports, tmp_path_factory) -> float:
    def one(home: Path) -> float:
        started = time.monotonic()
        assert run_ketreg(home, "run", "--inbox", str(exports.fill(home / "inbox"))
                          ).returncode == 0
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        durations = list(pool.map(one, [tmp_path_factory.mktemp("timed") for _ in range(2)]))
    return sum(durations) / len(durations)


@pytest.mark.soak
def test_twenty_kill_points_each_followed_by_one_run_end_as_uninterrupted(
        exports, reference, tmp_path_factory, figures):
    seconds = _seconds_of_two_runs_side_by_side(exports, tmp_path_factory)
    points = [dict(seconds=f * seconds) for f in KILL_TIMES]
    points += [dict(marker=m, after=after) for m, after in KILL_MARKERS]
    points += [dict(file=f) for f in KILL_WHILE_FILE_EXISTS]
    # Two at a time on this two-core machine; each point has its own home.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(
            lambda p: _kill_point(exports, reference, tmp_path_factory.mktemp("kill"), **p),
            points))
    killed = [r for r in results if r.killed]
    by_phase: dict[str, int] = {}
    for r in killed:
        by_phase[r.phase] = by_phase.get(r.phase, 0) + 1
    figures["run beside another, the kill times' base (s)"] = round(seconds)
    figures["kill points in make soak (killed/passed)"] = (
        f"{len(killed)}/{sum(r.passed for r in killed)}; "
        f"{len(results) - len(killed)} run(s) ended before their kill time")
    figures["soak kill points by phase"] = by_phase
    assert [r for r in results if not r.passed] == []
    assert len(killed) >= 20


@pytest.mark.soak
def test_a_failed_gx_check_keeps_the_published_snapshot_and_the_next_run_repairs(
        reference, tmp_path_factory):
    home = copy_home(reference.home, tmp_path_factory.mktemp("gx-fails") / "home")
    before = snapshot_version(home)
    failing = Started(home, ["gx-suite-fails", "run", "--inbox", str(home / "inbox")],
                      module=KETREG_WITH_FAULT)
    failed = failing.wait()
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "gx_suite" in failed.stdout
    assert snapshot_version(home) == before

    repaired = run_ketreg(home, "run", "--inbox", str(home / "inbox"))
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    assert snapshot_version(home) != before
    assert differences(reference.content, content(home / "warehouse.duckdb")) == []
