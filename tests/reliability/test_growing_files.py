"""A file still being written is not ingested until it is whole.

Three guards, each tested where it acts: `ketreg run` leaves files modified
within KETREG_STABLE_SECONDS for the next run; the fingerprint refuses a file
whose size changed while it was hashed; the inbox sensor only looks at files
settled for at least ten seconds, and launches one run per inbox state.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import settings as ketreg_settings
from orchestration.defs.ingest import inbox
from orchestration.defs.ingest.assets import ingest_exports
from orchestration.defs.pipeline import inbox_sensor, run_config_for
from orchestration.defs.resources import warehouse_resource
from tests.orchestration.defs.ingest.conftest import PATIENTS_HEADER, SESSIONS_HEADER, session_row

PATIENTS = "\n".join([PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05"]) + "\n"
SESSION_ROWS = [session_row(f"S-{i}", dose=str(30 + i % 40)) for i in range(60)]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _ingest(home: Path) -> list[tuple]:
    """The job's ingest step, as `ketreg run` executes it; the manifest afterwards."""
    settings = ketreg_settings.load()
    result = dg.materialize([ingest_exports], instance=dg.DagsterInstance.ephemeral(),
                            resources={"warehouse": warehouse_resource(settings)},
                            run_config=run_config_for(str(home / "inbox")))
    assert result.success
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("select file_name, rows_read, rows_loaded + rows_quarantined "
                           "from ops.ingest_manifest order by load_id").fetchall()
    finally:
        con.close()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KETREG_HOME", str(tmp_path))
    monkeypatch.delenv("KETREG_WAREHOUSE", raising=False)
    monkeypatch.setenv("KETREG_INBOX", str(tmp_path / "inbox"))
    (tmp_path / "inbox").mkdir()
    return tmp_path


def test_a_run_leaves_a_growing_file_for_the_next_run_and_then_loads_it_whole(home,
                                                                              monkeypatch):
    monkeypatch.setenv("KETREG_STABLE_SECONDS", "3")
    patients = home / "inbox" / "patients_ANC-01_2026-03-01.csv"
    patients.write_text(PATIENTS)
    _age(patients, 60)
    growing = home / "inbox" / "sessions_ANC-01_2026-03-01.csv"
    growing.write_text(SESSIONS_HEADER + "\n")
    done = threading.Event()

    def clinic_export_still_writing():
        with growing.open("a") as f:
            for row in SESSION_ROWS:
                f.write(row + "\n")
                f.flush()
                time.sleep(0.1)
        done.set()

    writer = threading.Thread(target=clinic_export_still_writing)
    writer.start()
    first = _ingest(home)
    writer.join()
    assert done.is_set()
    assert first == [("patients_ANC-01_2026-03-01.csv", 1, 1)]

    _age(growing, 10)
    second = _ingest(home)
    assert second[-1] == ("sessions_ANC-01_2026-03-01.csv", 60, 60)


def test_a_file_that_grows_while_it_is_hashed_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "sessions_ANC-01_2026-03-01.csv"
    path.write_text(SESSIONS_HEADER + "\n" + SESSION_ROWS[0] + "\n")
    hash_whole_file = inbox.sha256_of

    def hashed_while_the_clinic_appends(p: Path) -> str:
        digest = hash_whole_file(p)
        with p.open("a") as f:
            f.write(SESSION_ROWS[1] + "\n")
        return digest

    monkeypatch.setattr(inbox, "sha256_of", hashed_while_the_clinic_appends)
    with pytest.raises(inbox.FileChangedWhileReading):
        inbox.fingerprint(path)


def test_the_ingest_step_leaves_a_file_that_changed_while_hashed_for_the_next_run(
        home, monkeypatch):
    path = home / "inbox" / "patients_ANC-01_2026-03-01.csv"
    path.write_text(PATIENTS)
    hash_whole_file = inbox.sha256_of
    appended = []

    def first_hash_races_a_writer(p: Path) -> str:
        digest = hash_whole_file(p)
        if not appended:
            appended.append(p)
            with p.open("a") as f:
                f.write("pat0002,ANC-01,1990,M,PTSD,1,2026-01-09\n")
        return digest

    monkeypatch.setattr(inbox, "sha256_of", first_hash_races_a_writer)
    assert _ingest(home) == []
    assert _ingest(home) == [("patients_ANC-01_2026-03-01.csv", 2, 2)]


def test_the_sensor_waits_for_files_to_settle_and_launches_one_run_per_inbox_state(home):
    fresh = home / "inbox" / "patients_ANC-01_2026-03-01.csv"
    fresh.write_text(PATIENTS)
    waiting = inbox_sensor(dg.build_sensor_context())
    assert isinstance(waiting, dg.SkipReason)

    _age(fresh, 11)
    context = dg.build_sensor_context()
    launched = inbox_sensor(context)
    assert isinstance(launched, dg.RunRequest)

    again = inbox_sensor(dg.build_sensor_context(cursor=context.cursor))
    assert isinstance(again, dg.SkipReason), "the same inbox state must not launch twice"

    # A clinic's tool rewrites the file in place, keeping its size and its mtime.
    before = fresh.stat()
    time.sleep(0.02)
    fresh.write_text(PATIENTS.replace("pat0001", "pat0009"))
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
    rewritten = inbox_sensor(dg.build_sensor_context(cursor=context.cursor))
    assert isinstance(rewritten, dg.RunRequest), "a rewritten file is a new inbox state"
