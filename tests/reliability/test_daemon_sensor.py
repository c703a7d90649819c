"""Under `dagster-daemon run`, every file dropped into the inbox is processed exactly once.

The daemon evaluates the inbox sensor every 30 seconds, and the sensor waits
ten seconds for files to settle, so this is a soak test: two deliveries (the
first exports, then a correction, a re-sent copy under another name and a file
that must be rejected) take several minutes. The test never opens the
warehouse while the daemon runs (a reader would lock the writer out): it
watches the Dagster instance, and reads the warehouse once the daemon is gone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.reliability.homes import ketreg_env, open_read_only

pytestmark = [pytest.mark.slow, pytest.mark.soak]

SETTLE_TIMEOUT = 900

_WRITE_INSTANCE_CONFIG = (
    "from orchestration import settings; from orchestration.run import dagster_instance; "
    "dagster_instance(settings.load())")


def _deliver(files: list[Path], inbox: Path) -> None:
    for path in files:
        # A plain copy: the file's time is the delivery's, as when a clinic drops it.
        shutil.copyfile(path, inbox / path.name)


def _runs(dagster_home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return list(instance.get_runs())


def _wait_until_idle_with(dagster_home: Path, successes: int) -> list[dg.DagsterRun]:
    """Until `successes` runs succeeded and none is queued or running."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        runs = _runs(dagster_home)
        done = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
        busy = [r for r in runs if not r.is_finished]
        if len(done) >= successes and not busy:
            return runs
        time.sleep(5)
    raise TimeoutError(f"fewer than {successes} successful daemon runs in {SETTLE_TIMEOUT} s")


def test_each_dropped_file_is_processed_exactly_once(exports, tmp_path_factory, figures):
    home = tmp_path_factory.mktemp("daemon")
    inbox = home / "inbox"
    inbox.mkdir()
    env = ketreg_env(home, KETREG_INBOX=str(inbox), DAGSTER_HOME=str(home / "dagster"))
    subprocess.run([sys.executable, "-c", _WRITE_INSTANCE_CONFIG], env=env, check=True)
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m",
         "orchestration.definitions"],
        env=env, cwd=Path(__file__).resolve().parents[2], start_new_session=True,
        stdout=(home / "daemon.log").open("w"), stderr=subprocess.STDOUT)
    try:
        _deliver(exports.files(), inbox)
        _wait_until_idle_with(home / "dagster", successes=1)

        resent = tmp_path_factory.mktemp("resent")
        (resent / "sessions_KC-01_2026-11-21.csv").write_bytes(exports.correction.read_bytes())
        (resent / "sessions_KC-09_with_phi.csv").write_text(
            "session_id,patient_key,site_id,started_at,route,drug,dose_mg,status,email\n"
            "S-1,pat0001,KC-09,2026-01-08 09:00,IV,KETAMINE,34,COMPLETED,a@b.org\n")
        _deliver([exports.correction, *resent.iterdir()], inbox)
        runs = _wait_until_idle_with(home / "dagster", successes=2)
        # One more sensor interval: a state the daemon already ran must not run again.
        time.sleep(45)
        runs = _wait_until_idle_with(home / "dagster", successes=2)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()

    con = open_read_only(home / "warehouse.duckdb")
    try:
        manifest = con.execute("select file_name, file_sha256, status, count(*) over "
                               "(partition by file_name, file_sha256) from ops.ingest_manifest"
                               ).fetchall()
    finally:
        con.close()
    delivered = {p.name for p in exports.files()} | {
        exports.correction.name, "sessions_KC-01_2026-11-21.csv", "sessions_KC-09_with_phi.csv"}
    assert sorted(name for name, *_ in manifest) == sorted(delivered)
    assert all(n == 1 for *_, n in manifest)
    statuses = {name: status for name, _, status, _ in manifest}
    assert statuses["sessions_KC-01_2026-11-21.csv"] == "DUPLICATE"
    assert statuses["sessions_KC-09_with_phi.csv"] == "REJECTED_PHI"

    keys = [r.tags.get("dagster/run_key") for r in runs]
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [r.status for r in runs]
    assert len(keys) == len(set(keys)), "the sensor launched two runs for one inbox state"
    figures["daemon sensor"] = (f"{len(delivered)} files in 2 deliveries -> {len(runs)} runs, "
                                "each file once in the manifest")
