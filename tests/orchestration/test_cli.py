"""`ketreg demo`, the command `make demo` runs and the README starts with: a generated
sample network, one run of the job, and the dashboards served on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import duckdb
import pytest

from tests.dashboards.serving import free_port, wait_until_healthy

pytestmark = pytest.mark.slow

# Generating the network and running the job in the command's own process come first.
DEMO_SECONDS = 600


def test_demo_runs_a_generated_network_and_serves_its_dashboards(tmp_path):
    home, log, port = tmp_path / "home", tmp_path / "demo.log", free_port()
    env = {**os.environ, "KETREG_HOME": str(home)}
    for name in ("KETREG_WAREHOUSE", "KETREG_AUTH", "KETREG_DEMO_NO_SERVE"):
        env.pop(name, None)
    with log.open("w") as output:
        demo = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "demo", "--patients", "150",
             "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, demo, log, DEMO_SECONDS)
        with urllib.request.urlopen(base_url, timeout=10) as response:
            assert response.status == 200
    finally:
        os.killpg(demo.pid, signal.SIGTERM)  # the command and the server it started
        demo.wait(timeout=30)

    printed = log.read_text()
    assert "Rows:" in printed and "quarantined" in printed  # the run's summary
    assert "sign-in is off for this local demo" in printed
    assert any((home / "demo-inbox").glob("sessions_*"))
    con = duckdb.connect(str(home / "snapshot" / "dashboard.duckdb"), read_only=True)
    try:
        [(itt, completers)] = con.execute(
            "select count(*) filter (where itt_eligible), count(*) filter (where completer) "
            "from marts.course_outcomes where is_primary").fetchall()
    finally:
        con.close()
    # The pages' denominators: the network's ITT courses, of which the completers are a part.
    assert 0 < completers < itt
