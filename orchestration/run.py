"""`ketreg run`: launch the Dagster job in-process and report what it did."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import sqlalchemy

from orchestration import settings as ketreg_settings

# KETREG_HOME/dagster/dagster.yaml is the registry's, rewritten whenever it differs from
# this (an older home gets the current storage): the pool limit is what keeps a second
# writer off the warehouse, so it is not a user setting.
_DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    # One writer for the warehouse at a time (design.md).
    default_limit: 1
# Dagster's own SQLite storage, in its usual place, with its connections kept open.
storage:
  custom:
    module: orchestration.run_history
    class: RunHistoryStorage
    config:
      base_dir: {home}
# The daemon's runs forked from `ketreg worker` when one serves this home.
run_launcher:
  module: orchestration.run_launcher
  class: WorkerRunLauncher
# The daemon marks failed a run whose process has ended without saying so
# (orchestration/run_launcher.py), and one stuck starting or stopping for 3 minutes;
# and gives back the pool slot a run still held when it ended.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 30
"""


class RunInProgress(Exception):
    pass


# Locks this process holds: `ketreg rebuild` holds the lock across the several job runs
# it makes, and a second flock on a new descriptor would refuse the process itself.
_held_locks: set[Path] = set()


@contextmanager
def exclusive_run(settings: ketreg_settings.Settings) -> Iterator[None]:
    """Refuse a second concurrent run on the same KETREG_HOME instead of queueing blindly."""
    if settings.run_lock in _held_locks:
        yield
        return
    settings.home.mkdir(parents=True, exist_ok=True)
    with settings.run_lock.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"another ketreg run is using {settings.home}; "
                "try again when it has finished"
            ) from None
        _held_locks.add(settings.run_lock)
        try:
            yield
        finally:
            _held_locks.discard(settings.run_lock)
            fcntl.flock(lock, fcntl.LOCK_UN)


def dagster_instance(settings: ketreg_settings.Settings) -> dg.DagsterInstance:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    _commit_history_without_fsync(home)
    config = home / "dagster.yaml"
    wanted = _DAGSTER_YAML.format(home=json.dumps(str(home.resolve())))
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.from_config(str(home))


_history_homes: set[str] = set()


def _commit_history_without_fsync(dagster_home: Path) -> None:
    """Let SQLite skip the fsync of each commit to this Dagster home's run history.

    Dagster's SQLite storage commits once for every event (run_history.py keeps the
    connections open, the commits remain), and a run has about 750 of them (each dbt
    model and test is one): with an fsync each, that
    was 10-20 s of every run on this machine, as much as an incremental day's models.
    Without it, a killed process still loses nothing (the OS holds what was written);
    only an OS crash or power cut can damage the history, and the history is only the
    record of runs: the registry's data, the warehouse, the archive and the manifest,
    live elsewhere. A damaged history is recovered by deleting KETREG_HOME/dagster.
    """
    prefix = str(dagster_home.resolve()) + os.sep
    if prefix in _history_homes:
        return
    _history_homes.add(prefix)

    @sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "connect")
    def _no_fsync(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_connection.execute("pragma database_list")]
        if any(f.startswith(prefix) for f in files):
            dbapi_connection.execute("pragma synchronous = off")


# Marks the Dagster runs that `ketreg run` executes in its own process, as opposed to
# runs the daemon launches (sensor, schedule), which this process does not own.
LAUNCHED_BY_KETREG_RUN = {"ketreg/launched_by": "ketreg run"}


def release_runs_of_dead_processes(instance: dg.DagsterInstance) -> list[str]:
    """Fail the `ketreg run` runs whose process died, and give back their pool slot.

    A `ketreg run` killed mid-step (kill -9, power loss) leaves its Dagster run
    STARTED and the warehouse pool's only slot claimed, and every later run would
    wait for that slot forever. Call this holding the run lock: while it is held,
    no other `ketreg run` is alive, so any of theirs still in progress is dead.
    """
    dead = instance.get_runs(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                  dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING],
        tags=LAUNCHED_BY_KETREG_RUN,
    ))
    for run in dead:
        instance.report_run_failed(run, "the `ketreg run` process running it died")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return [run.run_id for run in dead]


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    run_id: str
    failure: str | None


def run_job(inbox_dir: Path, warehouse: Path | None = None, *,
            loaded_at: datetime | None = None, ingest_only: bool = False) -> RunOutcome:
    """Run ketreg_job once over `inbox_dir`, exactly as the sensor would.

    `ketreg rebuild` replays archived files with the time they were first loaded
    (`loaded_at`), and only the ingest step (`ingest_only`) for all but the last
    batch of files, so that dbt, the checks and the publish run once.
    """
    if warehouse is not None:
        os.environ["KETREG_WAREHOUSE"] = str(warehouse.resolve())
    settings = ketreg_settings.load()
    # dbt runs in a subprocess and finds the warehouse through this variable.
    os.environ["KETREG_WAREHOUSE"] = str(settings.warehouse)
    from orchestration.definitions import defs
    from orchestration.defs.ingest.assets import ingest_exports
    from orchestration.defs.pipeline import JOB_NAME, run_config_for
    from orchestration.defs.resources import warehouse_resource

    run_config = run_config_for(str(inbox_dir.resolve()))
    if loaded_at is not None:
        run_config["ops"]["ingest_exports"]["config"]["loaded_at"] = loaded_at.isoformat()
    with exclusive_run(settings), dagster_instance(settings) as instance:
        release_runs_of_dead_processes(instance)
        job = defs.resolve_job_def(JOB_NAME)
        result = job.execute_in_process(
            # Only the ingest op, with its GX checks: selecting its assets would also pull
            # in the dbt op, which runs the dbt source tests on them.
            op_selection=[ingest_exports.op.name] if ingest_only else None,
            run_config={
                **run_config,
                # Progress, not Dagster's step-by-step debug events.
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
            },
            instance=instance,
            tags=LAUNCHED_BY_KETREG_RUN,
            resources={"warehouse": warehouse_resource(settings)},
            raise_on_error=False,
        )
    failure = None if result.success else describe_failure(result.all_events)
    return RunOutcome(success=result.success, run_id=result.run_id, failure=failure)


def describe_failure(events: list[dg.DagsterEvent]) -> str:
    """Why a run failed, in the words of the checks and steps that failed: a failed
    blocking check says what it found, not only that it blocked its step."""
    lines = []
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            found = evaluation.metadata.get("failures")
            found = "; ".join(found.value[:3]) if found is not None and found.value else "failed"
            lines.append(f"check {evaluation.check_name} on "
                         f"{evaluation.asset_key.to_user_string()}: {found}")
        elif event.is_step_failure:
            error = event.event_specific_data.error
            if error.cls_name != "DagsterAssetCheckFailedError":  # said above, with its reasons
                lines.append(f"{event.step_key}: {error.message.strip().splitlines()[-1]}")
    return "\n  ".join(lines) or "the run failed"


def summary(warehouse: Path, run_id: str) -> str:
    """What a run did, in words: files by status, rows loaded and quarantined, top reasons."""
    if not warehouse.exists():
        return "No warehouse yet."
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        files = con.execute(
            "select status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
            "from ops.ingest_manifest where run_id = ? group by status order by status",
            [run_id],
        ).fetchall()
        reasons = con.execute(
            """
            select q.entity, q.reason, count(*) as n
            from ops.quarantine as q
            join ops.ingest_manifest as m using (file_sha256)
            where m.run_id = ?
            group by all order by n desc, q.entity, q.reason limit 10
            """,
            [run_id],
        ).fetchall()
        rejected = con.execute(
            "select file_name, status, reason from ops.ingest_manifest "
            "where run_id = ? and status like 'REJECTED%' order by load_id",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    if not files:
        return "No new files: nothing to load."
    lines = ["Files:"]
    lines += [f"  {status:<24} {n:>6}" for status, n, *_ in files]
    read = sum(r or 0 for _, _, r, _, _ in files)
    loaded = sum(lo or 0 for _, _, _, lo, _ in files)
    quarantined = sum(q or 0 for _, _, _, _, q in files)
    lines.append(f"Rows: {read:,} read, {loaded:,} loaded, {quarantined:,} quarantined")
    if reasons:
        lines.append("Top quarantine reasons:")
        lines += [f"  {entity:<15} {reason:<28} {n:>8,}" for entity, reason, n in reasons]
    if rejected:
        lines.append("Rejected files:")
        lines += [f"  {name}: {status} ({reason})" for name, status, reason in rejected]
    return "\n".join(lines)
