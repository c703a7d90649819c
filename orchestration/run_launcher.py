"""The run launcher of KETREG_HOME's Dagster instance (dagster.yaml, orchestration/run.py).

Runs the Dagster daemon launches (the inbox sensor, the daily schedule) are forked from
`ketreg worker` when one serves the home, as `ketreg run`'s are: without it each starts
a Python process that imports the pipeline again (~7 s). Without a worker, or with a
stale one, the run goes to Dagster's default launcher, as before.

Run monitoring (dagster.yaml) asks the launcher whether a run's process still lives: a
run whose forked process died (killed, out of memory) is marked failed rather than left
STARTED for ever, which would also hold the warehouse's pool.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
from dagster import DagsterRun
from dagster._core.launcher import (
    CheckRunHealthResult,
    DefaultRunLauncher,
    LaunchRunContext,
    WorkerStatus,
)

from orchestration.worker import DAGSTER_RUN, WorkerUnavailable, socket_path, start_on_worker

# The pid of a run forked from the worker, for stopping it from the Dagster UI, and its
# start time, so that a pid the system reused later is not taken for the run's.
WORKER_PID_TAG = "ketreg/worker_pid"
WORKER_PID_STARTED_TAG = "ketreg/worker_pid_started"


class WorkerRunLauncher(DefaultRunLauncher):
    def _home(self) -> Path:
        # The instance lives in KETREG_HOME/dagster.
        return Path(self._instance.root_directory).parent

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        try:
            pid = start_on_worker(socket_path(self._home()), DAGSTER_RUN, [run.run_id])
        except WorkerUnavailable:
            super().launch_run(context)
            return
        self._instance.add_run_tags(run.run_id, {WORKER_PID_TAG: str(pid),
                                                 WORKER_PID_STARTED_TAG: _started(pid)})
        self._run_ids.add(run.run_id)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        pid = run.tags.get(WORKER_PID_TAG)
        if pid is None:
            # Started by the default launcher, which Dagster does not check either.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "not forked from ketreg worker")
        if _still_running(run):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"its process {pid}, forked from ketreg worker, has ended")

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        pid = run.tags.get(WORKER_PID_TAG)
        if pid is None:
            return super().terminate(run_id)
        if not _still_running(run):  # its pid may be another process's by now
            return False
        self._instance.report_run_canceling(run)
        # Dagster's own interrupt: the run stops its step, and passes it on to dbt.
        try:
            os.kill(int(pid), signal.SIGINT)
        except ProcessLookupError:
            return False
        return True


def _still_running(run: DagsterRun) -> bool:
    """Whether the process the run was forked into still runs: its pid, with the start
    time recorded when it was forked."""
    started = run.tags.get(WORKER_PID_STARTED_TAG)
    return bool(started) and _started(int(run.tags[WORKER_PID_TAG])) == started


def _started(pid: int) -> str:
    """When the process began, or "" when it has ended (a zombie has ended too)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return ""
        return repr(process.create_time())
    except psutil.NoSuchProcess:
        return ""
