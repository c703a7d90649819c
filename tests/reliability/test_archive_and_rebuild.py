"""The archive keeps every accepted file, and `ketreg rebuild` remakes a damaged warehouse from it.

The registry that lived through the bad week (bad_week.py) loaded its files
over several runs, some of them killed. A copy of it has its inbox emptied
(the clinic cleans up) and its warehouse truncated to half; `ketreg rebuild`
must then give back the same registry as one uninterrupted run, each file
with the load time it first had. `make soak` also damages a WAL left by a
kill -9 mid-load, and the rebuild recovers the file only the archive knew.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.rebuild import RecordedFile, plan_batches
from tests.reliability.homes import (
    PUBLISHED_MARTS,
    Started,
    cancelled_sessions,
    content,
    copy_home,
    differences,
    marts_content,
    open_read_only,
    run_ketreg,
    snapshot_version,
)

pytestmark = pytest.mark.slow


def _first_loads(warehouse: Path) -> dict[tuple[str, str], tuple[str, object]]:
    con = open_read_only(warehouse)
    try:
        return {(sha, name): (status, at) for sha, name, status, at in con.execute(
            "select file_sha256, file_name, status, loaded_at from ops.ingest_manifest"
        ).fetchall()}
    finally:
        con.close()


@dataclass(frozen=True)
class Rebuilt:
    home: Path
    first_loads: dict
    unreadable_before: str | None
    result: object
    seconds: float


@pytest.fixture(scope="module")
def rebuilt(bad_week, tmp_path_factory) -> Rebuilt:
    home = copy_home(bad_week.home, tmp_path_factory.mktemp("rebuild") / "home")
    warehouse = home / "warehouse.duckdb"
    first_loads = _first_loads(warehouse)
    for path in (home / "inbox").iterdir():
        path.unlink()
    os.truncate(warehouse, warehouse.stat().st_size // 2)
    try:
        marts_content(warehouse)
        unreadable = None
    except duckdb.Error as e:
        unreadable = str(e)
    started = time.monotonic()
    result = run_ketreg(home, "rebuild")
    return Rebuilt(home, first_loads, unreadable, result, time.monotonic() - started)


def test_the_archive_holds_every_accepted_file_byte_for_byte_after_the_inbox_is_emptied(
        exports, rebuilt):
    originals = {hashlib.sha256(p.read_bytes()).hexdigest(): p.read_bytes()
                 for p in [*exports.files(), exports.correction]}
    archived = {p.name.split(".")[0]: p for p in (rebuilt.home / "archive").glob("*/*")}
    assert not list((rebuilt.home / "inbox").iterdir())
    assert set(archived) == set(originals)
    for sha, path in archived.items():
        assert path.read_bytes() == originals[sha]
        assert path.stat().st_mode & 0o777 == 0o600


def test_the_truncated_warehouse_was_really_unreadable(rebuilt):
    assert rebuilt.unreadable_before is not None


def test_rebuild_succeeds_and_keeps_the_damaged_warehouse_aside(rebuilt, figures):
    assert rebuilt.result.returncode == 0, rebuilt.result.stdout[-3000:]
    aside = list(rebuilt.home.glob("warehouse.duckdb.damaged-*"))
    assert len(aside) == 1
    # Half a warehouse may or may not still hold a readable manifest; either
    # way the two lists together must name every file once.
    listed = re.search(r"Files to replay: (.*)", rebuilt.result.stdout).group(1)
    counts = [int(n) for n in re.findall(r"(\d+) from the (?:warehouse|snapshot)", listed)]
    assert sum(counts) == len(rebuilt.first_loads), listed
    assert "NOT RECOVERABLE" not in rebuilt.result.stdout
    figures["rebuild of the bad-week registry, truncated warehouse (s)"] = round(rebuilt.seconds)


def test_the_rebuilt_registry_equals_one_uninterrupted_run(rebuilt, reference):
    assert differences(reference.content, content(rebuilt.home / "warehouse.duckdb")) == []


def test_each_file_keeps_the_load_time_and_status_it_first_had(rebuilt):
    assert _first_loads(rebuilt.home / "warehouse.duckdb") == rebuilt.first_loads


def test_the_rebuild_published_what_it_rebuilt(rebuilt):
    snapshot = rebuilt.home / "snapshot" / "dashboard.duckdb"
    assert marts_content(snapshot) == marts_content(rebuilt.home / "warehouse.duckdb",
                                                    only=PUBLISHED_MARTS)


# --- a load the warehouse lost, that only the archive still has -------------------------


@pytest.fixture(scope="module")
def lost_load(reference, tmp_path_factory):
    """A committed load the warehouse no longer holds, whose file the clinic has removed:
    as after a WAL whose torn end DuckDB dropped, or an older warehouse restored. Only its
    archive copy is left (here: two new patients of KC-01, put there by hand)."""
    home = copy_home(reference.home, tmp_path_factory.mktemp("lost") / "home")
    lost = tmp_path_factory.mktemp("lost-export") / "patients_KC-01_2026-11-21.csv"
    lost.write_text(
        "patient_key,site_id,birth_year,sex,primary_indication,prior_treatment_failures,"
        "enrolled_on,record_version,entered_in_error\n"
        "plostxa1b2c3d4e,KC-01,1970,F,TRD,2,2026-10-01,1,false\n"
        "plostxf5g6h7i8j,KC-01,1985,M,MDD,1,2026-10-02,1,false\n")
    sha = hashlib.sha256(lost.read_bytes()).hexdigest()
    (home / "archive" / sha[:2]).mkdir(parents=True, exist_ok=True)
    shutil.copy2(lost, home / "archive" / sha[:2] / f"{sha}.csv")
    version = snapshot_version(home)
    noticed = run_ketreg(home, "run", "--inbox", str(home / "inbox"))
    published_after = snapshot_version(home)
    repaired = run_ketreg(home, "rebuild")
    return home, sha, lost, version, noticed, published_after, repaired


def test_a_lost_load_stops_the_run_and_names_the_repair(lost_load):
    _, sha, _, version, noticed, published_after, _ = lost_load
    assert noticed.returncode == 1
    assert f"1 archived file(s) are not in the manifest ({sha[:12]})" in noticed.stdout
    assert "run `ketreg rebuild`" in noticed.stdout
    assert published_after == version


def test_the_rebuild_loads_the_file_only_the_archive_had(lost_load):
    home, sha, lost, *_, repaired = lost_load
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    con = open_read_only(home / "warehouse.duckdb")
    try:
        (name, status, read, loaded), = con.execute(
            "select file_name, status, rows_read, rows_loaded from ops.ingest_manifest "
            "where file_sha256 = ?", [sha]).fetchall()
        (in_raw,), = con.execute(
            "select count(*) from raw.patients where _file_sha256 = ?", [sha]).fetchall()
    finally:
        con.close()
    assert (name, status) == (f"patients_recovered_{sha[:12]}.csv", "LOADED")
    assert (read, loaded, in_raw) == (2, 2, 2)


# --- the replay order, without running anything ---------------------------------------------


def _recorded(name: str, run: str, minute: int = 0) -> RecordedFile:
    return RecordedFile("0" * 64, name, "LOADED", run, datetime(2026, 3, 2, 12, minute), "")


def test_replay_batches_follow_runs_and_never_let_the_inbox_sort_reorder_files():
    files = [
        _recorded("patients_A_1.csv", "run-1"), _recorded("sessions_A_1.csv", "run-1"),
        # A later run: its patients file must not be replayed before run-1's sessions.
        _recorded("patients_A_2.csv", "run-2", 5), _recorded("assessments_A_2.csv", "run-2", 5),
        # The same name again, corrected: a batch of its own.
        _recorded("assessments_A_2.csv", "run-3", 9),
    ]
    batches = plan_batches(files)
    assert [[f.file_name for f in b] for b in batches] == [
        ["patients_A_1.csv", "sessions_A_1.csv"],
        ["patients_A_2.csv", "assessments_A_2.csv"],
        ["assessments_A_2.csv"],
    ]


def test_files_recorded_out_of_inbox_order_within_a_run_are_split():
    # Files of one run were processed patients-first; anything else means two deliveries.
    files = [_recorded("sessions_B.csv", "run-1"), _recorded("patients_B.csv", "run-1")]
    assert [len(b) for b in plan_batches(files)] == [1, 1]


# --- make soak: a damaged WAL after kill -9 mid-load -------------------------------------


@pytest.mark.soak
def test_a_damaged_wal_after_a_kill_mid_load_is_rebuilt_from_the_archive(
        reference, exports, tmp_path_factory, figures):
    """kill -9 right after a new file commits leaves it only in the WAL; then the WAL is damaged.

    DuckDB replays a WAL up to its first damaged entry and drops the rest without
    an error, so the new file's manifest row and rows are gone, and the clinic has
    already cleaned its inbox: only the archive still has the file. The rebuild
    must find it there and give the marts of an uninterrupted run that loaded it.
    """
    late = tmp_path_factory.mktemp("late") / "sessions_KC-02_2026-11-27.csv"
    late.write_text(_second_correction(exports))

    expected_home = copy_home(reference.home, tmp_path_factory.mktemp("expected") / "home")
    shutil.copy2(late, expected_home / "inbox" / late.name)
    expected = run_ketreg(expected_home, "run", "--inbox", str(expected_home / "inbox"))
    assert expected.returncode == 0, expected.stdout[-3000:]

    home = copy_home(reference.home, tmp_path_factory.mktemp("wal") / "home")
    shutil.copy2(late, home / "inbox" / late.name)
    run = Started(home, ["run", "--inbox", str(home / "inbox")])
    run.wait_for(rf"{late.name}: LOADED")
    run.kill()
    wal = home / "warehouse.duckdb.wal"
    assert wal.exists() and wal.stat().st_size > 0
    with wal.open("r+b") as f:
        f.seek(min(64, wal.stat().st_size // 2))
        f.write(os.urandom(4096))
    for path in (home / "inbox").iterdir():
        path.unlink()

    started = time.monotonic()
    rebuilt = run_ketreg(home, "rebuild")
    seconds = time.monotonic() - started
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert "replayed as sessions_recovered_" in rebuilt.stdout
    assert len(list(home.glob("warehouse.duckdb.damaged-*.wal"))) == 1
    assert marts_content(home / "warehouse.duckdb") == marts_content(
        expected_home / "warehouse.duckdb")
    figures["rebuild after a damaged WAL (s)"] = round(seconds)


def _second_correction(exports) -> str:
    return cancelled_sessions(exports.first, site="KC-02", n=5)

