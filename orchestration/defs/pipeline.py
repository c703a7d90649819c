"""The one job that writes the warehouse, and the two things that launch it.

`ketreg run`, the inbox sensor and the daily schedule all launch
`ketreg_job`: there is no second code path into the warehouse.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from orchestration import settings as ketreg_settings
from orchestration.defs.ingest import inbox

JOB_NAME = "ketreg_job"

ketreg_job = dg.define_asset_job(
    JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest new exports, build the outcome models, check them, publish.",
    # One process, one step at a time: a DuckDB file takes one writer (design.md), also
    # when the daemon launches the run.
    executor_def=dg.in_process_executor,
)


def run_config_for(inbox_dir: str) -> dict:
    return {"ops": {"ingest_exports": {"config": {"inbox": inbox_dir}}}}


@dg.sensor(job_name=JOB_NAME, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext):
    """Launch the job once for each new settled state of the inbox.

    The sensor never opens the warehouse (a reader would lock the writer
    out): it fingerprints the settled files by name and identity on disk
    (inbox.stat_key: size, times, inode), and the run key makes each state
    launch exactly one run. The job itself skips files it has recorded before.
    """
    settings = ketreg_settings.load()
    files = inbox.settled_files(settings.inbox, max(settings.stable_seconds, 10.0))
    if not files:
        return dg.SkipReason(f"no settled files in {settings.inbox}")
    state = "\n".join(f"{p.name}:{inbox.stat_key(p)}" for p in files)
    run_key = hashlib.sha256(state.encode()).hexdigest()
    if run_key == context.cursor:
        return dg.SkipReason("inbox unchanged since the last run")
    context.update_cursor(run_key)
    return dg.RunRequest(run_key=run_key, run_config=run_config_for(str(settings.inbox)))


@dg.schedule(job_name=JOB_NAME, cron_schedule="0 6 * * *",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_schedule(context: dg.ScheduleEvaluationContext):
    """A daily run catches anything the sensor missed (for example while it was off)."""
    return dg.RunRequest(run_config=run_config_for(str(ketreg_settings.load().inbox)))
