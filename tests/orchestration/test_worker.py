"""`ketreg worker`: runs forked from a warm process hold what runs of their own hold.

A worker serves one home; `ketreg run` there goes through it, dbt too, and must load
exactly what an in-process run loads from the same exports. Without a live, current
worker the command runs in its own process, as an operator would expect.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestration.defs.transform.worker_parse import STARTED_FROM_WORKER_PARSE
from orchestration.synthetic import generate_network
from orchestration.worker import code_fingerprint, socket_path
from tests.reliability.homes import (
    Started,
    content,
    differences,
    ketreg_env,
    run_ketreg,
    start_worker,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def stop(worker: Started) -> int:
    worker.process.send_signal(signal.SIGTERM)
    code = worker.process.wait(60)
    worker.kill()  # its children too, if a test left one behind
    return code


@contextmanager
def run_lock_held(home: Path):
    """Another run in progress, as `ketreg run` sees it: its command exits 3 at once."""
    with (home / "run.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exports") / "inbox"
    generate_network(folder, patients=150, sites=2, seed=23, progress=False)
    return folder


@pytest.fixture(scope="module")
def worker_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("worker-home")
    worker = start_worker(home)
    yield home, worker
    assert stop(worker) == 0, worker.output()
    assert not socket_path(home).exists(), "a stopped worker leaves no socket behind"


@pytest.fixture(scope="module")
def run_on_worker(worker_home, inbox):
    """The worker's home after its first run: what a run elsewhere is compared with."""
    home, _ = worker_home
    return run_ketreg(home, "run", "--inbox", str(inbox))


def test_a_run_on_the_worker_holds_what_a_run_of_its_own_holds(worker_home, run_on_worker,
                                                               inbox, tmp_path):
    home, worker = worker_home
    on_worker = run_on_worker
    assert on_worker.returncode == 0, on_worker.stdout[-3000:]
    assert "Rows:" in on_worker.stdout and "quarantined" in on_worker.stdout
    # The run was forked from the worker, and so was its dbt build.
    assert "ketreg run in pid" in worker.output()
    assert "dbt build in pid" in worker.output()
    assert "ketreg-dbt build" in on_worker.stdout
    # dbt did not parse the project: it started from the worker's parse.
    assert STARTED_FROM_WORKER_PARSE in on_worker.stdout

    own_home = tmp_path / "own-process"
    own = run_ketreg(own_home, "run", "--inbox", str(inbox))
    assert own.returncode == 0, own.stdout[-3000:]
    assert "ketreg-dbt" not in own.stdout
    assert differences(content(own_home / "warehouse.duckdb"),
                       content(home / "warehouse.duckdb")) == []


def test_a_build_for_another_warehouse_parses_the_project_itself(worker_home, run_on_worker,
                                                                  inbox, tmp_path):
    # The worker parsed the project for its home's warehouse, and dbt names the tables
    # after the warehouse file: a run given another must not start from that parse.
    home, worker = worker_home
    assert run_on_worker.returncode == 0, run_on_worker.stdout[-3000:]
    elsewhere = tmp_path / "elsewhere.duckdb"
    run = run_ketreg(home, "run", "--inbox", str(inbox), "--warehouse", str(elsewhere))
    assert run.returncode == 0, run.stdout[-3000:]
    assert "ketreg-dbt build" in run.stdout  # forked from the worker all the same
    assert STARTED_FROM_WORKER_PARSE not in run.stdout
    assert differences(content(elsewhere), content(home / "warehouse.duckdb")) == []


def test_the_commands_exit_code_and_its_error_reach_the_caller(worker_home, inbox):
    home, worker = worker_home
    runs = worker.output().count("ketreg run in pid")
    with run_lock_held(home):
        refused = run_ketreg(home, "run", "--inbox", str(inbox))
    assert refused.returncode == 3
    assert "another ketreg run is using" in refused.stdout
    # It was the worker's child that refused, not a process of its own.
    assert worker.output().count("ketreg run in pid") == runs + 1


def test_an_interrupt_stops_the_run_and_its_build_not_only_the_caller(worker_home, inbox,
                                                                      tmp_path):
    home, worker = worker_home
    more = tmp_path / "inbox"
    more.mkdir()
    for path in inbox.iterdir():
        (more / path.name).write_bytes(path.read_bytes())
    generate_network(tmp_path / "day", patients=5, sites=2, seed=24, progress=False)
    for path in (tmp_path / "day").iterdir():
        (more / f"{path.stem}_day{path.suffix}").write_bytes(path.read_bytes())

    before = worker.children()
    run = Started(home, ["run", "--inbox", str(more)])
    assert run.wait_for(r"Running dbt command", timeout=600), run.output()
    time.sleep(1)  # into the build
    os.kill(run.process.pid, signal.SIGINT)
    stopped = run.wait(timeout=120)
    assert stopped.returncode != 0
    # Nothing of the run is left: neither the run nor its dbt build, both forked from the
    # worker, and the next run on the worker finishes what the interrupted one left.
    assert worker.no_children_but(before, within=60)
    again = run_ketreg(home, "run", "--inbox", str(more))
    assert again.returncode == 0, again.stdout[-3000:]
    assert worker.process.poll() is None, "the worker outlives its runs"


def test_a_second_worker_for_the_same_home_is_refused(worker_home):
    home, _ = worker_home
    second = run_ketreg(home, "worker", timeout=300)
    assert second.returncode == 3
    assert "a worker already serves" in second.stdout


def test_a_socket_left_by_a_killed_worker_is_passed_over(tmp_path, inbox):
    home = tmp_path / "home"
    worker = start_worker(home)
    worker.kill()
    assert socket_path(home).exists()
    with run_lock_held(home):
        in_process = run_ketreg(home, "run", "--inbox", str(inbox), timeout=300)
    assert in_process.returncode == 3
    assert "another ketreg run is using" in in_process.stdout
    assert "the worker does not answer" in in_process.stdout
    assert "running in this process" in in_process.stdout
    # And a new worker takes the home over.
    assert stop(start_worker(home)) == 0


def test_a_worker_older_than_the_code_steps_aside(tmp_path, inbox):
    """After a `git pull`, the next run must run the new code: the worker refuses,
    stops, and the command runs in its own process."""
    home, code = tmp_path / "home", tmp_path / "code"
    home.mkdir()
    code.mkdir()
    (code / "step.py").write_text("VERSION = 1\n")
    log = (home / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from orchestration.worker import serve; "
         f"sys.exit(serve(Path({str(home)!r}), watched=(Path({str(code)!r}),)))"],
        cwd=REPO, env=ketreg_env(home), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "serving" not in (home / "worker.log").read_text():
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        (code / "step.py").write_text("VERSION = 22\n")
        with run_lock_held(home):
            in_process = run_ketreg(home, "run", "--inbox", str(inbox), timeout=300)
        assert in_process.returncode == 3
        assert "older than the checkout" in in_process.stdout
        assert worker.wait(60) == 0
        assert "the code changed; stopping" in (home / "worker.log").read_text()
        assert " in pid " not in (home / "worker.log").read_text()
        assert not socket_path(home).exists()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()


def test_the_fingerprint_follows_code_not_what_runs_write(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1")
    before = code_fingerprint((tmp_path,))
    for written in ("target/manifest.json", "logs/dbt.log", ".user.yml",
                    "models/__pycache__/x.pyc"):
        (tmp_path / written).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / written).write_text("x")
    assert code_fingerprint((tmp_path,)) == before
    (tmp_path / "models" / "a.sql").write_text("select 2")
    assert code_fingerprint((tmp_path,)) != before


def test_the_socket_is_its_owners_alone(worker_home):
    home, _ = worker_home
    assert socket_path(home).stat().st_mode & 0o777 == 0o600


def test_a_worker_started_without_standard_streams_still_answers_on_the_callers(tmp_path,
                                                                                inbox):
    """Started as some service managers start daemons, stdin and stdout closed."""
    home = tmp_path / "home"

    def close_stdin_and_stdout():
        os.close(0)
        os.close(1)

    worker = Started(home, ["worker"], preexec_fn=close_stdin_and_stdout)
    try:
        assert worker.wait_for(r"serving ", timeout=180), worker.output()
        with run_lock_held(home):
            refused = run_ketreg(home, "run", "--inbox", str(inbox), timeout=300)
        assert refused.returncode == 3
        assert "another ketreg run is using" in refused.stdout
        assert "ketreg run in pid" in worker.output()
    finally:
        assert stop(worker) == 0, worker.output()
