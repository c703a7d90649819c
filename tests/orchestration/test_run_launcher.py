"""The Dagster instance's run launcher: a run the daemon launches (the sensor, the
schedule) is forked from `ketreg worker` when one serves the home, runs to its end on
its own, and can be stopped from Dagster; without a worker it goes to Dagster's default
launcher. A run whose forked process died is marked failed by run monitoring. The daemon
itself is exercised under `make soak` (tests/reliability)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import psutil
import pytest
from dagster._core.definitions.reconstruct import (
    ReconstructableJob,
    ReconstructableRepository,
)
from dagster._core.launcher import LaunchRunContext, WorkerStatus
from dagster._daemon.monitoring import concurrency
from dagster._daemon.monitoring.run_monitoring import monitor_started_run
from dagster._time import get_current_datetime

from orchestration import settings as ketreg_settings
from orchestration.defs.pipeline import JOB_NAME, run_config_for
from orchestration.run import dagster_instance
from orchestration.run_launcher import (
    WORKER_PID_STARTED_TAG,
    WORKER_PID_TAG,
    WorkerRunLauncher,
)
from orchestration.synthetic import generate_network
from tests.reliability.homes import start_worker

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("KETREG_HOME", str(home))
    monkeypatch.delenv("KETREG_WAREHOUSE", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return home


def _run_as_the_daemon_creates_it(instance: dg.DagsterInstance, inbox: Path) -> dg.DagsterRun:
    from orchestration.definitions import defs

    origin = ReconstructableJob(
        ReconstructableRepository.for_module("orchestration.definitions", "defs",
                                             working_directory=str(REPO)),
        JOB_NAME, None, None, None,
    ).get_python_origin()
    return instance.create_run_for_job(
        job_def=defs.resolve_job_def(JOB_NAME), run_config=run_config_for(str(inbox)),
        job_code_origin=origin, status=dg.DagsterRunStatus.STARTING)


def _finished(instance: dg.DagsterInstance, run_id: str, timeout: float) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    while not (run := instance.get_run_by_id(run_id)).is_finished:
        assert time.monotonic() < deadline, f"run {run_id} still {run.status}"
        time.sleep(0.5)
    return run


def test_a_run_the_daemon_launches_is_forked_from_the_worker(home, tmp_path):
    inbox = tmp_path / "inbox"
    files = generate_network(inbox, patients=120, sites=2, seed=31, progress=False).files
    worker = start_worker(home)
    try:
        with dagster_instance(ketreg_settings.load()) as instance:
            assert isinstance(instance.run_launcher, WorkerRunLauncher)
            run = _run_as_the_daemon_creates_it(instance, inbox)
            instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))

            pid = instance.get_run_by_id(run.run_id).tags[WORKER_PID_TAG]
            assert f"dagster-run {run.run_id} in pid {pid}" in worker.output()
            finished = _finished(instance, run.run_id, timeout=600)
        assert finished.status == dg.DagsterRunStatus.SUCCESS, worker.output()[-3000:]
        con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
        try:
            loaded = con.execute("select count(*) from ops.ingest_manifest "
                                 "where run_id = ?", [run.run_id]).fetchone()[0]
        finally:
            con.close()
        assert loaded == len(files)
        assert (home / "snapshot" / "dashboard.duckdb").exists()
    finally:
        worker.kill()


def test_a_run_on_the_worker_can_be_stopped_from_dagster(home, tmp_path):
    inbox = tmp_path / "inbox"
    generate_network(inbox, patients=120, sites=2, seed=32, progress=False)
    worker = start_worker(home)
    try:
        helpers = worker.children()
        with dagster_instance(ketreg_settings.load()) as instance:
            run = _run_as_the_daemon_creates_it(instance, inbox)
            instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
            # Into the dbt build: its target folder is made just before dbt starts.
            build = ketreg_settings.load().dbt_target_dir / run.run_id
            deadline = time.monotonic() + 600
            while not build.exists():
                assert time.monotonic() < deadline and not instance.get_run_by_id(
                    run.run_id).is_finished, "the run ended before its dbt build"
                time.sleep(0.1)
            assert instance.run_launcher.terminate(run.run_id)
            finished = _finished(instance, run.run_id, timeout=120)
            assert finished.status == dg.DagsterRunStatus.CANCELED
            assert not instance.run_launcher.terminate(run.run_id), "already stopped"
        # Neither the run nor its dbt build, both forked from the worker, is left.
        assert worker.no_children_but(helpers, within=60)
    finally:
        worker.kill()


def test_without_a_worker_the_run_goes_to_dagsters_default_launcher(home, tmp_path):
    with dagster_instance(ketreg_settings.load()) as instance:
        run = _run_as_the_daemon_creates_it(instance, tmp_path)
        # The default launcher hands runs to the code location's gRPC server, which the
        # daemon's workspace provides; here there is none, and it says so.
        with pytest.raises(dg.DagsterInvariantViolationError, match="requires a workspace"):
            instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
        assert WORKER_PID_TAG not in instance.get_run_by_id(run.run_id).tags


def test_a_pid_the_system_gave_to_another_process_is_neither_stopped_nor_taken_for_the_run(
        home, tmp_path):
    # Another process that says when it is interrupted (SIGINT may be ignored by what it
    # inherits, as under a background shell).
    other = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys, time\n"
         "signal.signal(signal.SIGINT, lambda *_: sys.exit(7))\n"
         "print('ready', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline() == "ready\n"
    try:
        with dagster_instance(ketreg_settings.load()) as instance:
            run = _run_as_the_daemon_creates_it(instance, tmp_path)
            launcher = instance.run_launcher
            # The run's forked process has ended, and its pid now belongs to `other`.
            instance.add_run_tags(run.run_id, {WORKER_PID_TAG: str(other.pid),
                                               WORKER_PID_STARTED_TAG: "1.0"})
            reused = instance.get_run_by_id(run.run_id)
            assert launcher.check_run_worker_health(reused).status == WorkerStatus.FAILED
            assert launcher.terminate(run.run_id) is False
            assert other.poll() is None  # not interrupted

            # With the start time it was forked with, the same pid is the run's.
            started = repr(psutil.Process(other.pid).create_time())
            instance.add_run_tags(run.run_id, {WORKER_PID_STARTED_TAG: started})
            own = instance.get_run_by_id(run.run_id)
            assert launcher.check_run_worker_health(own).status == WorkerStatus.RUNNING
            assert launcher.terminate(run.run_id) is True
            assert other.wait(10) == 7
    finally:
        other.kill()
        other.wait()


def test_a_run_whose_forked_process_died_is_marked_failed(home, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    generate_network(inbox, patients=120, sites=2, seed=33, progress=False)
    worker = start_worker(home)
    try:
        with dagster_instance(ketreg_settings.load()) as instance:
            assert instance.run_monitoring_enabled
            run = _run_as_the_daemon_creates_it(instance, inbox)
            instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
            # Into its first step, which holds the warehouse pool's one slot.
            slots = instance.event_log_storage
            deadline = time.monotonic() + 120
            while run.run_id not in slots.get_concurrency_run_ids():
                assert time.monotonic() < deadline, instance.get_run_by_id(run.run_id).status
                time.sleep(0.1)
            started = instance.get_run_by_id(run.run_id)
            health = instance.run_launcher.check_run_worker_health(started)
            assert health.status == WorkerStatus.RUNNING

            pid = int(started.tags[WORKER_PID_TAG])
            os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).wait(30)  # until the worker has reaped it
            # What the daemon's run monitoring does with each STARTED run.
            [record] = instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id]))
            monitor_started_run(instance, None, record, logging.getLogger("run_monitoring"))
            failed = instance.get_run_by_id(run.run_id)
            assert failed.status == dg.DagsterRunStatus.FAILURE
            [event] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert f"its process {pid}, forked from ketreg worker, has ended" in event.message

            # The daemon's slot pass, once the run has been over for longer than its delay.
            assert run.run_id in slots.get_concurrency_run_ids()
            delay = instance.run_monitoring_settings["free_slots_after_run_end_seconds"]
            later = get_current_datetime() + timedelta(seconds=delay + 1)
            monkeypatch.setattr(concurrency, "get_current_datetime", lambda: later)
            list(concurrency.execute_concurrency_slots_iteration(
                SimpleNamespace(instance=instance), logging.getLogger("concurrency")))
            assert run.run_id not in slots.get_concurrency_run_ids()
    finally:
        worker.kill()
