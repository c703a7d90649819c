"""The dbt nodes that follow from the project's code alone, built once per version of it.

The seeds, the models that read only seeds (the `definitions` mart) and the tests that
read only those hold the clinical definitions: they change with the code, never with a
day's export. A run leaves them out of its build when this warehouse holds them built and
tested from the same project files and the same dbt. A change to any of those files, a
fresh warehouse, one of their tables missing, or a full refresh builds them again.

This holds because such a model is a function of its seeds and the project's vars, which
are all in those files: tests/orchestration/defs/transform/test_definition_nodes.py
names the nodes, so that a new one is read before it joins them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from orchestration.defs.transform.project import project_files

DBT_DISTRIBUTIONS = ("dbt-core", "dbt-duckdb")
# A node's run result that lets later runs rely on it.
_PASSED = ("success", "pass")


@dataclass(frozen=True)
class DefinitionNodes:
    # unique_id -> the manifest's node, each after its parents
    nodes: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> DefinitionNodes:
        """The seeds, then every model or data test whose parents are all among them."""
        nodes = manifest["nodes"]
        found = {uid: node for uid, node in nodes.items() if node["resource_type"] == "seed"}
        grew = True
        while grew:
            grew = False
            for uid, node in nodes.items():
                parents = node.get("depends_on", {}).get("nodes", [])
                if (uid not in found and node["resource_type"] in ("model", "test")
                        and parents and all(parent in found for parent in parents)):
                    found[uid] = node
                    grew = True
        return cls(nodes=found)

    def exclude_args(self) -> list[str]:
        """dbt arguments that leave these nodes, and only these, out of a build.

        Named one by one, tests too, with indirect selection off: dbt's default (eager)
        would also leave out every test that reads a seed beside raw data, such as the
        check that each assessment's instrument is in the catalog.
        """
        # By fully qualified name: a bare name also selects a folder of that name.
        names = sorted("fqn:" + ".".join(node["fqn"]) for node in self.nodes.values())
        return ["--exclude", " ".join(names), "--indirect-selection", "empty"]

    def built_in(self, con: duckdb.DuckDBPyConnection, fingerprint: str) -> str | None:
        """The run that last built and tested these nodes from the project files of
        `fingerprint`, when this warehouse still holds their tables; else None."""
        row = con.execute(
            "select run_id from ops.dbt_definitions_builds where project_fingerprint = ? "
            "order by built_at desc limit 1", [fingerprint],
        ).fetchall()
        if not row:
            return None
        held = {(schema, name) for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() "
            "union all select schema_name, view_name from duckdb_views() "
            "where database_name = current_database()").fetchall()}
        relations = {(node["schema"], node["alias"]) for node in self.nodes.values()
                     if node["resource_type"] in ("seed", "model")}
        return row[0][0] if relations <= held else None

    def record_if_built(self, con: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str,
                        run_results: Mapping[str, Any]) -> bool:
        """Record that `run_id` built and tested every one of these nodes, if it did."""
        statuses = {r["unique_id"]: r["status"] for r in run_results.get("results", [])}
        if not all(statuses.get(uid) in _PASSED for uid in self.nodes):
            return False
        con.execute("insert into ops.dbt_definitions_builds "
                    "values (?, ?, current_localtimestamp())", [run_id, fingerprint])
        return True


def project_fingerprint(project_dir: Path) -> str:
    """A digest of the dbt project's source files, their paths and the installed dbt."""
    digest = hashlib.sha256()
    for distribution in DBT_DISTRIBUTIONS:
        digest.update(f"{distribution}=={metadata.version(distribution)}\n".encode())
    for path in project_files(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
