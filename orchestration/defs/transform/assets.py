"""The dbt project as Dagster assets: staging, intermediate and marts.

One `dbt build` per run (design.md: several dbt-duckdb threads or builds on
one file can fail on incremental models). dbt's tests surface as asset checks,
the sources' tests included (PUDL's convention); a failing error-severity test
fails the build, the run stops, and the publish step never runs.
"""

import json
import os

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from orchestration import settings as ketreg_settings
from orchestration.defs.ingest import load
from orchestration.defs.transform.built_before_incremental import (
    drop_tables_built_before_incremental,
)
from orchestration.defs.transform.dbt_cli import DbtCli, dbt_executable
from orchestration.defs.transform.definition_nodes import DefinitionNodes, project_fingerprint
from orchestration.defs.transform.project import dbt_project
from orchestration.defs.transform.target_dirs import new_target_dir, prune_target_dirs
from orchestration.defs.transform.worker_parse import dbt_environment


class DbtBuildConfig(dg.Config):
    """How the run builds the models.

    Most models are incremental (dbt_project/macros/incremental_by_patient.sql): a
    run redoes only the patients its loads touched. full_refresh rebuilds every
    model from raw instead, e.g. after replaying the archive into a warehouse whose
    models are still there. Run config:
    {"ops": {"outcome_models": {"config": {"full_refresh": true}}}}
    """

    full_refresh: bool = False


class _Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props):
        # Group by layer, so the asset graph reads staging -> intermediate -> marts.
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "definitions"
        return fqn[1] if len(fqn) > 2 else "marts"


# The dbt node behind each asset and check spec dagster-dbt makes.
DBT_UNIQUE_ID = "dagster_dbt/unique_id"
# The manifest the assets come from, read once: `ketreg worker` imports this before
# forking its runs.
MANIFEST = json.loads(dbt_project.manifest_path.read_text())
DEFINITION_NODES = DefinitionNodes.of(MANIFEST)

translator = _Translator(settings=DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_source_tests_as_checks=True,
))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=translator, pool="warehouse")
def outcome_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                   warehouse: DuckDBResource, config: DbtBuildConfig):
    settings = ketreg_settings.load()
    # dbt runs in a subprocess and finds the warehouse and its memory bound through the
    # profile's env vars.
    os.environ.update(dbt_environment(settings))
    # Unit tests check the SQL against fixed inputs, not the data: they run in the test
    # suite (tests/dbt_project), not in every pipeline run.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    # dbt's file log (dbt.log in the run's target folder, where dagster-dbt puts it): at
    # info level, in dbt's own text format. At debug level it held every query it ran
    # (~5 MB, ~2 s a run); as JSON, which it would inherit from the console's format
    # (what dagster-dbt reads), every line cost a conversion to a dict and a JSON encoding.
    args += ["--log-level-file", "info", "--log-format-file", "debug"]
    fingerprint = project_fingerprint(dbt_project.project_dir)
    # A subset (assets picked in Dagster's UI) keeps dagster-dbt's own selection whole, and
    # drops no table it may not build.
    subset = _is_subset(context)
    with warehouse.get_connection() as con:
        # A warehouse last ingested into by older code lacks the newer ops tables...
        load.ensure_warehouse(con)
        # ...and may hold, built whole, a model that has since become incremental.
        dropped = [] if subset else drop_tables_built_before_incremental(con, MANIFEST)
        for table in dropped:
            context.log.info(f"{table} was built whole by an older version of the models; "
                             f"this build builds it again, incremental from now on.")
        built_in = None if config.full_refresh or subset \
            else DEFINITION_NODES.built_in(con, fingerprint)
    if built_in:
        context.log.info(
            f"{len(DEFINITION_NODES.nodes)} dbt nodes, the seeds and what reads only them, "
            f"are left out of this build: run {built_in} built and tested them from the same "
            f"project files."
        )
        args += DEFINITION_NODES.exclude_args()
    invocation = dbt.cli(args, context=context, raise_on_error=False,
                         target_path=new_target_dir(settings.dbt_target_dir, context.run_id))
    try:
        if built_in:
            # Before dbt's own events: Dagster wants an asset's parents yielded before it.
            yield from _carried_over(context, DEFINITION_NODES, built_in, fingerprint)
        yield from invocation.stream()
        run_results = invocation.get_artifact("run_results.json")
        with warehouse.get_connection() as con:
            record_test_results(con, context.run_id, run_results)
            if not built_in:
                DEFINITION_NODES.record_if_built(con, context.run_id, fingerprint, run_results)
    finally:
        prune_target_dirs(settings.dbt_target_dir)
    if not invocation.is_successful():
        raise dg.Failure(
            description="dbt build failed: an error-severity test or a model failed; "
                        "see the dbt test results of this run",
        )


def _carried_over(context: dg.AssetExecutionContext, definitions: DefinitionNodes,
                  built_in: str, fingerprint: str):
    """The definition nodes' events, as run `built_in` left them: the steps after dbt wait on
    every asset of this one (a missing one would skip them), and a check without a result
    warns. Their tables are those that run built from the same project files, where every
    one of their tests passed (DefinitionNodes.record_if_built)."""
    note = {"carried over from run": built_in}
    unchanged = dg.DataVersion(fingerprint[:16])
    assets = {spec.metadata.get(DBT_UNIQUE_ID): spec.key for spec in context.assets_def.specs}
    for unique_id in definitions.nodes:  # parents first
        if unique_id in assets:
            yield dg.MaterializeResult(asset_key=assets[unique_id], metadata=note,
                                       data_version=unchanged)
    for check in context.assets_def.check_specs:
        if check.metadata.get(DBT_UNIQUE_ID) in definitions.nodes:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name,
                                      passed=True, metadata=note)


def _is_subset(context: dg.AssetExecutionContext) -> bool:
    assets = context.assets_def
    return (set(context.selected_asset_keys) != set(assets.keys)
            or set(context.selected_asset_check_keys) != set(assets.check_keys))


def record_test_results(con, run_id: str, run_results: dict) -> None:
    """Keep each dbt test's outcome for the data-quality page."""
    rows = [
        (run_id, r["unique_id"], r["unique_id"].split(".")[2], r["status"], r.get("failures"),
         r.get("message"))
        for r in run_results.get("results", [])
        if r["unique_id"].startswith(("test.", "unit_test."))
    ]
    if rows:
        # One statement: DuckDB's executemany runs one per row (~0.5 ms each, ~120 a build).
        con.execute(
            "insert into ops.dbt_test_results values "
            + ", ".join(["(?, ?, ?, ?, ?, ?, current_localtimestamp())"] * len(rows)),
            [value for row in rows for value in row],
        )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[outcome_models],
        resources={"dbt": DbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())},
    )
