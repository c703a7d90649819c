"""Twenty dashboard sessions read the snapshot while it is swapped: never blocked, never mixed.

`make test` swaps the snapshot eight times with the publish step's own code
(publish_snapshot) from a copy of the reference warehouse, one row fewer
each time so that every version has its own row counts. `make soak` serves
the real Streamlit app and lets `ketreg run` process new exports three times.
Either way, every view must succeed, and every view's counts must be exactly
those of the version it read: a view that mixed two snapshots would show the
counts of one under the version of the other.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.publish.snapshot import publish_snapshot
from tests.dashboards.serving import free_port, wait_until_healthy
from tests.reliability.homes import copy_home, ketreg_env, run_ketreg, snapshot_path
from tests.reliability.snapshot_sessions import COUNTED

pytestmark = pytest.mark.slow

SESSIONS = 20
PROCESSES = 4  # x 5 threads: twenty sessions without twenty Python start-ups on two cores


def start_sessions(home: Path, out_dir: Path, seconds: float, reads: int,
                   url: str | None = None) -> list[tuple[subprocess.Popen, Path]]:
    started = []
    for i in range(PROCESSES):
        out = out_dir / f"sessions-{i}.json"
        args = [sys.executable, "-m", "tests.reliability.snapshot_sessions",
                str(snapshot_path(home)), str(out), str(SESSIONS // PROCESSES), str(seconds),
                str(reads), *([url] if url else [])]
        started.append((subprocess.Popen(args, env=ketreg_env(home),
                                         cwd=Path(__file__).resolve().parents[2]), out))
    return started


def wait_until_reading(started, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not all(Path(f"{out}.ready").exists() for _, out in started):
        assert time.monotonic() < deadline, "the sessions did not start reading"
        assert all(p.poll() is None for p, _ in started), "a session process died"
        time.sleep(0.2)


def stop(started) -> None:
    for _, out in started:
        Path(f"{out}.stop").touch()


def collect(started, timeout: float) -> dict:
    merged = {"views": [], "errors": [], "http": [], "queries_per_view": 0}
    for process, out in started:
        assert process.wait(timeout) == 0, f"a session process failed ({out.name})"
        part = json.loads(out.read_text())
        for key in ("views", "errors", "http"):
            merged[key] += part[key]
        merged["queries_per_view"] = part["queries_per_view"]
    return merged


def counts_of(snapshot: Path) -> tuple[str, dict[str, int]]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        (version,) = con.execute("select version from main.snapshot_info").fetchone()
        return version, {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                         for t in COUNTED}
    finally:
        con.close()


def mixed_views(views: list[dict], published: dict[str, dict[str, int]]) -> list[dict]:
    return [v for v in views
            if v["version"] != v["version_after"] or published.get(v["version"]) != v["counts"]]


@pytest.fixture(scope="module")
def swapped_under_readers(reference, tmp_path_factory):
    home = tmp_path_factory.mktemp("swaps")
    shutil.copy2(reference.home / "warehouse.duckdb", home / "warehouse.duckdb")
    snapshot = snapshot_path(home)
    shutil.copytree(reference.home / "snapshot", snapshot.parent)
    published = dict([counts_of(snapshot)])
    # What a publish killed mid-write leaves behind (seen in make soak): the next one cleans it.
    for leftover in (".dashboard.duckdb.20261101T000000-deadbeef.partial",
                     ".dashboard.duckdb.20261101T000000-deadbeef.partial.wal"):
        (snapshot.parent / leftover).write_bytes(b"left by a killed publish")
    sessions = start_sessions(home, home, seconds=240, reads=200)
    wait_until_reading(sessions)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        for swap in range(8):
            con.execute("delete from marts.course_outcomes where rowid = "
                        "(select min(rowid) from marts.course_outcomes)")
            version = publish_snapshot(con, snapshot, f"swap-{swap}").version
            published[version] = counts_of(snapshot)[1]
            time.sleep(1)
    finally:
        con.close()
        stop(sessions)
    return collect(sessions, timeout=300), published, sorted(
        p.name for p in snapshot.parent.iterdir())


def test_twenty_sessions_read_through_eight_swaps_without_an_error(swapped_under_readers,
                                                                   figures):
    seen, published, _ = swapped_under_readers
    assert seen["errors"] == []
    versions_seen = {v["version"] for v in seen["views"]}
    assert len(versions_seen) >= 3, "the sessions did not read across swaps"
    figures["snapshot swaps under 20 sessions (make test)"] = (
        f"{len(published) - 1} swaps, {len(seen['views'])} views of "
        f"{len(versions_seen)} versions, {seen['queries_per_view']} page queries each, "
        f"{len(seen['errors'])} errors")


def test_no_view_mixes_two_snapshots(swapped_under_readers):
    seen, published, _ = swapped_under_readers
    assert mixed_views(seen["views"], published) == []


def test_a_publish_leaves_only_the_snapshot_behind(swapped_under_readers):
    *_, files = swapped_under_readers
    assert files == ["dashboard.duckdb"]


# --- make soak: the real app served while `ketreg run` swaps ------------------------------


@pytest.mark.soak
def test_the_served_dashboards_stay_up_and_consistent_while_runs_publish(
        reference, exports, tmp_path_factory, figures):
    from dashboards.serve import streamlit_command

    home = copy_home(reference.home, tmp_path_factory.mktemp("served") / "home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(streamlit_command(port), env=ketreg_env(home, KETREG_AUTH="none"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_until_healthy(url, server, seconds=120)
        published = dict([counts_of(snapshot_path(home))])
        sessions = start_sessions(home, home, seconds=1800, reads=2000, url=url)
        wait_until_reading(sessions)
        runs = []
        for batch in range(3):
            late = home / "inbox" / f"sessions_KC-0{batch + 1}_2026-12-0{batch + 1}.csv"
            late.write_text(_correction(exports, batch))
            runs.append(run_ketreg(home, "run", "--inbox", str(home / "inbox")))
            version, counts = counts_of(snapshot_path(home))
            published[version] = counts
        stop(sessions)
        seen = collect(sessions, timeout=300)
    finally:
        server.terminate()
        server.wait(30)
    assert [r.returncode for r in runs] == [0, 0, 0], runs[-1].stdout[-3000:]
    assert len(published) == 4, "each run publishes a new version"
    assert seen["errors"] == []
    assert all(h == [200, 200] for h in seen["http"])
    assert mixed_views(seen["views"], published) == []
    versions_seen = {v["version"] for v in seen["views"]}
    assert len(versions_seen) >= 2
    figures["served dashboards during 3 runs (make soak)"] = (
        f"{len(seen['views'])} views of {len(versions_seen)} versions, "
        f"{len(seen['http'])} health+page requests, {len(seen['errors'])} errors")


def _correction(exports, batch: int) -> str:
    from tests.reliability.homes import cancelled_sessions

    return cancelled_sessions(exports.first, site=f"KC-0{batch + 1}", n=3 + batch)
