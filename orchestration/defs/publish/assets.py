"""The job's last step: publish the dashboard snapshot once every check passed."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from expectations.marts import volume
from orchestration import settings as ketreg_settings
from orchestration.defs.ingest.assets import MANIFEST_KEY, QUARANTINE_KEY
from orchestration.defs.publish.snapshot import publish_snapshot
from orchestration.defs.transform.assets import outcome_models

MART_KEYS = [key for key in outcome_models.keys if key.path[0] == "marts"]


@dg.asset(
    key=["publish", "dashboard_snapshot"],
    # The snapshot also carries the manifest and quarantine summaries, and a failed
    # blocking check on them (archive_accounted) must stop the publish like one on a mart.
    deps=[*MART_KEYS, MANIFEST_KEY, QUARANTINE_KEY],
    group_name="publish",
    kinds={"duckdb", "streamlit"},
    pool="warehouse",
    description="The marts, definitions and ops summaries the dashboards read, swapped in "
                "atomically as KETREG_HOME/snapshot/dashboard.duckdb.",
)
def dashboard_snapshot(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    settings = ketreg_settings.load()
    with warehouse.get_connection() as con:
        published = publish_snapshot(con, settings.snapshot, context.run_id)
        # The volume check compares the next run with what was published, never with a
        # run that failed.
        volume.save_row_counts(settings.mart_volumes, volume.count_rows(
            con, [".".join(key.path) for key in MART_KEYS]))
    context.log.info(f"published {published.path} (version {published.version})")
    return dg.MaterializeResult(metadata={
        "path": str(published.path), "version": published.version, "tables": published.tables,
    })
