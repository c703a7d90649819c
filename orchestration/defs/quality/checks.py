"""Great Expectations on the marts, freshness and volume, as blocking asset checks.

A failed check here stops the publish step, so the dashboards keep showing
the last snapshot that passed. Each result is also stored in ops.gx_results
and in the GX Data Docs under KETREG_HOME/gx.
"""

from datetime import datetime, timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from expectations import archive_accounted, runner
from expectations.marts import freshness, volume
from expectations.registry import MART_SUITES
from orchestration import settings as ketreg_settings
from orchestration.defs.ingest import load
from orchestration.defs.ingest.assets import MANIFEST_KEY, store_gx_result
from orchestration.defs.publish.assets import MART_KEYS


def _check_result(result: runner.SuiteResult, asset_key: dg.AssetKey, check_name: str):
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=result.success,
        metadata={
            "expectations_evaluated": result.evaluated,
            "failed": result.failed,
            "failures": dg.MetadataValue.json(result.failures[:50]),
        },
    )


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("gx_suite", asset=dg.AssetKey(name.split(".")), blocking=True,
                             description=f"Great Expectations suite '{name}'.")
           for name in MART_SUITES],
    pool="warehouse",
)
def mart_suites_check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
    # One step for every mart's suite, and the run's one data-docs build (about a second
    # each), which also renders the pages the ingest stored.
    docs = runner.DataDocs.open(ketreg_settings.load().gx_dir)
    results = {}
    with warehouse.get_connection() as con:
        for name in MART_SUITES:
            results[name] = runner.validate_table(con, name, name, context=docs,
                                                  run_name=context.run.run_id)
            store_gx_result(con, context.run.run_id, results[name], name)
    docs.build()
    for name, result in results.items():
        yield _check_result(result, dg.AssetKey(name.split(".")), "gx_suite")


AS_OF_KEY = dg.AssetKey(["marts", "as_of"])


@dg.asset_check(asset=AS_OF_KEY, name="freshness", blocking=True, pool="warehouse",
                description="The last export loaded is at most KETREG_FRESHNESS_DAYS old.")
def freshness_check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
    settings = ketreg_settings.load()
    with warehouse.get_connection() as con:
        (last_load,) = con.execute(
            "select max(loaded_at) from ops.ingest_manifest where status = 'LOADED'"
        ).fetchone()
        result = freshness.check_freshness(
            last_load, timedelta(days=settings.freshness_days), now=datetime.now(),
            what="last load",
        )
        store_gx_result(con, context.run.run_id, result, "marts.as_of")
    return _check_result(result, AS_OF_KEY, "freshness")


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("volume", asset=key, blocking=True,
                             description="No sharp drop in rows since the last published run.")
           for key in MART_KEYS],
    pool="warehouse",
)
def volume_check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
    settings = ketreg_settings.load()
    tables = {".".join(key.path): key for key in MART_KEYS}
    with warehouse.get_connection() as con:
        counts = volume.count_rows(con, tables)
        result = volume.check_volume(counts, volume.load_row_counts(settings.mart_volumes))
        store_gx_result(con, context.run.run_id, result, "marts")
    by_table = dict(zip(tables, result.raw.get("results", []), strict=False))
    for table, key in tables.items():
        outcome = by_table.get(table, {})
        yield dg.AssetCheckResult(
            asset_key=key, check_name="volume", passed=bool(outcome.get("success", True)),
            metadata={"rows": counts[table],
                      "message": outcome.get("meta", {}).get("message", "")},
        )


@dg.asset_check(asset=MANIFEST_KEY, name="archive_accounted", blocking=True, pool="warehouse",
                description="Every file in KETREG_HOME/archive is LOADED in the manifest: "
                            "none was lost between its archive copy and the warehouse.")
def archive_accounted_check(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
    settings = ketreg_settings.load()
    with warehouse.get_connection() as con:
        loaded = [sha for (sha,) in con.execute(
            "select file_sha256 from ops.ingest_manifest where status = 'LOADED'").fetchall()]
        result = archive_accounted.check_archive_accounted(
            load.archived_files(settings.archive_dir), loaded)
        store_gx_result(con, context.run.run_id, result, "ops.ingest_manifest")
    return _check_result(result, MANIFEST_KEY, "archive_accounted")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[mart_suites_check, freshness_check, volume_check,
                      archive_accounted_check],
    )
