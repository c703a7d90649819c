"""Reliability tests: the `soak` marker, the figures they report, and the shared runs.

`make test` skips the tests marked `soak`; `make soak` sets KETREG_SOAK=1 and
runs them all. Every test that proves a property against an uninterrupted run
compares with one reference run of the same exports, made once per session.
The reference run and the disk-full scenario run in the background while the
bad week (bad_week.py) runs in the foreground: on two cores, three runs side
by side take about the time of two one after the other.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.figures import FIGURES
from tests.reliability.bad_week import BadWeek, live_through_a_bad_week
from tests.reliability.homes import Exports, content, make_exports, run_ketreg
from tests.reliability.small_disk import DiskFull, fill_and_recover

SOAK = os.environ.get("KETREG_SOAK") == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "soak: long reliability runs; only under `make soak` (KETREG_SOAK=1)")


def pytest_collection_modifyitems(config, items):
    if SOAK:
        return
    skip = pytest.mark.skip(reason="soak test: run `make soak` (KETREG_SOAK=1)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def figures() -> dict[str, object]:
    return FIGURES


@pytest.fixture(scope="session")
def exports(tmp_path_factory) -> Exports:
    """Three clinics' first exports, and a later file correcting eight sessions."""
    return make_exports(tmp_path_factory.mktemp("exports"))


@dataclass(frozen=True)
class Reference:
    """A home where one uninterrupted `ketreg run` loaded every export."""

    home: Path
    content: dict[str, list[tuple]]
    seconds: float
    output: str


@pytest.fixture(scope="session")
def background():
    """Two scenarios at a time beside the foreground one: this machine has two cores."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.fixture(scope="session")
def reference_run(exports, background, tmp_path_factory) -> Future[Reference]:
    home = tmp_path_factory.mktemp("reference")

    def run() -> Reference:
        inbox = exports.fill(home / "inbox")
        started = time.monotonic()
        result = run_ketreg(home, "run", "--inbox", str(inbox))
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stdout[-3000:]
        return Reference(home, content(home / "warehouse.duckdb"), seconds, result.stdout)

    return background.submit(run)


@pytest.fixture(scope="session")
def reference(reference_run) -> Reference:
    return reference_run.result()


@pytest.fixture(scope="session")
def disk_full_run(exports, background, tmp_path_factory) -> Future[DiskFull]:
    """KETREG_HOME on a 5 MB disk: full after about half the files (test_disk_full.py)."""
    return background.submit(fill_and_recover, exports,
                             tmp_path_factory.mktemp("disk-full") / "case", 5)


@pytest.fixture(scope="session")
def bad_week(exports, reference_run, disk_full_run, tmp_path_factory) -> BadWeek:
    """The registry after a week of faults (bad_week.py).

    It asks for the reference run and the disk-full scenario only to start them:
    they run in the background while the bad week runs here.
    """
    return live_through_a_bad_week(exports, tmp_path_factory.mktemp("bad-week"))
