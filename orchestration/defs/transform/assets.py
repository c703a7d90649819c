"""The dbt project as Dagster assets: staging, intermediate and marts.

One `dbt build` per run (design.md: several dbt-duckdb threads or builds on
one file can fail on incremental models). dbt's tests surface as asset checks,
the sources' tests included (PUDL's convention); a failing error-severity test
fails the build, the run stops, and the publish step never runs.
"""

import os

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import settings as ketreg_settings
from orchestration.defs.transform.project import dbt_project


class _Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props):
        # Group by layer, so the asset graph reads staging -> intermediate -> marts.
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "definitions"
        return fqn[1] if len(fqn) > 2 else "marts"


translator = _Translator(settings=DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_source_tests_as_checks=True,
))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=translator, pool="warehouse")
def outcome_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    settings = ketreg_settings.load()
    # dbt runs in a subprocess and finds the warehouse through the profile's env var.
    os.environ["KETREG_WAREHOUSE"] = str(settings.warehouse)
    settings.dbt_log_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DBT_LOG_PATH"] = str(settings.dbt_log_dir)
    yield from dbt.cli(["build"], context=context).stream()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[outcome_models],
        resources={"dbt": DbtCliResource(project_dir=dbt_project)},
    )
