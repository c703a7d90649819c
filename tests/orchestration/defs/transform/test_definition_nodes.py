"""The definition nodes a run may leave out of its build: which they are, that dbt leaves
out exactly those, when a warehouse holds them built, and what changes the project's
fingerprint. The pipeline's own second run is in tests/orchestration/test_run.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.defs.transform.definition_nodes import DefinitionNodes, project_fingerprint
from orchestration.defs.transform.project import dbt_project, project_files

WAREHOUSE_DDL = settings.PROJECT_ROOT / "orchestration" / "defs" / "ingest" / "warehouse.sql"
SEEDS = {"adverse_event_categories", "adverse_event_severities",
         "indication_primary_instrument", "instrument_catalog", "session_effects",
         "severity_bands"}


@pytest.fixture(scope="module")
def definitions() -> DefinitionNodes:
    return DefinitionNodes.of(json.loads(dbt_project.manifest_path.read_text()))


def _names(definitions: DefinitionNodes, resource_type: str) -> set[str]:
    return {node["name"] for node in definitions.nodes.values()
            if node["resource_type"] == resource_type}


def test_the_definition_nodes_are_the_seeds_the_definitions_mart_and_their_tests(definitions):
    # A model joins this list only if it is a function of the seeds and the project's
    # vars alone (no date, no environment): read it before adding it here.
    assert _names(definitions, "seed") == SEEDS
    assert _names(definitions, "model") == {"definitions"}
    tests = _names(definitions, "test")
    assert "unique_instrument_catalog_instrument" in tests
    assert "unique_combination_of_columns_definitions_definition__scope" in tests
    assert len(tests) == 12
    # A test of raw data against a seed stays in every build.
    assert not any(name.startswith("source_") for name in tests)
    for node in definitions.nodes.values():
        assert all(parent.split(".")[0] in ("seed", "model")
                   for parent in node["depends_on"].get("nodes", []))


@pytest.mark.slow
def test_dbt_leaves_out_exactly_the_definition_nodes(definitions, tmp_path):
    def listed(*args: str) -> set[str]:
        env = {**os.environ, "KETREG_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
        out = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "ls", "--quiet", "--output", "json",
             "--output-keys", "unique_id", "--select", "fqn:*", "--exclude-resource-type",
             "unit_test", "--target-path", str(tmp_path / "target"), *args],
            cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
            timeout=300, check=True).stdout
        return {json.loads(line)["unique_id"] for line in out.splitlines() if line.startswith("{")}

    everything = listed()
    rest = listed(*definitions.exclude_args())
    assert everything - rest == set(definitions.nodes)
    # A test of raw data against a seed stays.
    assert any(uid.startswith("test.ketreg.source_relationships_raw_assessments_instrument")
               for uid in rest)


def _warehouse(path: Path, definitions: DefinitionNodes) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute(WAREHOUSE_DDL.read_text())
    for node in definitions.nodes.values():
        if node["resource_type"] in ("seed", "model"):
            con.execute(f'create schema if not exists {node["schema"]}')
            con.execute(f'create table {node["schema"]}."{node["alias"]}" as select 1 as x')
    return con


def _results(definitions: DefinitionNodes, failing: str | None = None) -> dict:
    return {"results": [{"unique_id": uid,
                         "status": "fail" if uid == failing else
                         "pass" if uid.startswith("test.") else "success"}
                        for uid in definitions.nodes]}


def test_a_warehouse_holds_the_definitions_built_from_one_fingerprint(definitions, tmp_path):
    con = _warehouse(tmp_path / "w.duckdb", definitions)
    assert definitions.built_in(con, "f1") is None  # a fresh warehouse builds them
    assert definitions.record_if_built(con, "run-1", "f1", _results(definitions))
    assert definitions.built_in(con, "f1") == "run-1"
    assert definitions.built_in(con, "f2") is None  # other project files
    con.execute("drop table seeds.instrument_catalog")
    assert definitions.built_in(con, "f1") is None  # a table gone


def test_a_build_whose_definitions_failed_or_were_not_all_built_is_not_recorded(
        definitions, tmp_path):
    con = _warehouse(tmp_path / "w.duckdb", definitions)
    failing = next(uid for uid in definitions.nodes if uid.startswith("test."))
    assert not definitions.record_if_built(con, "run-1", "f1", _results(definitions, failing))
    partial = _results(definitions)
    partial["results"] = partial["results"][1:]
    assert not definitions.record_if_built(con, "run-2", "f1", partial)
    assert definitions.built_in(con, "f1") is None


def test_any_change_to_the_projects_files_changes_the_fingerprint(tmp_path):
    project = tmp_path / "dbt_project"
    for path in project_files(settings.DBT_PROJECT_DIR):
        copy = project / path.relative_to(settings.DBT_PROJECT_DIR)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    original = project_fingerprint(settings.DBT_PROJECT_DIR)
    assert project_fingerprint(project) == original  # the files, not where they are

    seed = project / "seeds" / "instrument_catalog.csv"
    seed.write_text(seed.read_text().replace("0.5", "0.4", 1))
    edited = project_fingerprint(project)
    assert edited != original

    (project / "dbt_project.yml").write_text(
        (project / "dbt_project.yml").read_text() + "\n# a comment\n")
    assert project_fingerprint(project) not in (original, edited)

    shutil.copyfile(settings.DBT_PROJECT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copyfile(settings.DBT_PROJECT_DIR / "seeds" / "instrument_catalog.csv", seed)
    assert project_fingerprint(project) == original
    next(project.glob("models/marts/*.sql")).unlink()
    assert project_fingerprint(project) != original
