"""The dbt project parsed once by `ketreg worker`, for every dbt build it forks.

A build that parses for itself (dbt's partial parse, from the previous run's) spends ~0.45 s
before its first node, at any network size: reading that parse back, hashing every project
file, writing manifest.json. The worker parses the project once, before its first fork, and
each build forked from it starts from that manifest (dbt's programmatic API takes one:
`dbtRunner(manifest=...)`). A build does so only when it would parse the same thing: the
worker stops when a project file changes (worker.WATCHED), the environment the profile and
the project read must be what the worker parsed with (a run given another warehouse has
another), and no option that shapes a parse may be given. Otherwise it parses as before.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass

from orchestration import settings as ketreg_settings

STARTED_FROM_WORKER_PARSE = "ketreg-dbt: the build starts from the worker's parse of the project"
# Options that change what a parse makes.
_PARSE_OPTIONS = ("--vars", "--target", "-t", "--profile", "--project-dir", "--profiles-dir")
_ENV_VAR = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def dbt_environment(settings: ketreg_settings.Settings) -> dict[str, str]:
    """What a run's dbt build finds in its environment: the profile reads the warehouse
    and its memory bound from there (dbt_project/profiles.yml)."""
    return {
        "KETREG_WAREHOUSE": str(settings.warehouse),
        "KETREG_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
    }


@dataclass(frozen=True)
class ParsedProject:
    manifest: object  # dbt's Manifest
    # Every variable the parse read from the environment, with the value it read.
    environment: dict[str, str | None]

    def fits(self, argv: list[str]) -> bool:
        """Whether a build given `argv`, in this process's environment, would parse the
        same project the same way."""
        return (argv[:1] == ["build"]
                and not any(arg.split("=")[0] in _PARSE_OPTIONS for arg in argv)
                and all(os.environ.get(name) == value
                        for name, value in self.environment.items()))


_parsed: ParsedProject | None = None


def parse_for_builds(settings: ketreg_settings.Settings) -> None:
    """In the worker, before its first fork: parse the project as its runs' builds would."""
    global _parsed
    from dbt.cli.main import dbtRunner
    from dbt_common.events.event_manager_client import cleanup_event_logger

    from orchestration.defs.transform.project import dbt_project

    environment = {
        # As dagster-dbt passes them to each build (DbtCliResource.cli).
        "DBT_PROJECT_DIR": str(dbt_project.project_dir),
        "DBT_PROFILES_DIR": str(dbt_project.profiles_dir),
        **dbt_environment(settings),
    }
    scratch = tempfile.mkdtemp(prefix="ketreg-dbt-parse-")
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        # Without dbt's static parser (Rust): once a process has used it, a child forked
        # from that process hangs in it, and a build that must parse for itself would.
        # Models' refs and configs then come from rendering their Jinja: the same result.
        result = dbtRunner().invoke(["parse", "--quiet", "--no-partial-parse",
                                     "--no-static-parser",
                                     "--target-path", scratch, "--log-path", scratch])
        read = {*environment, *result.result.env_vars} if result.success else set()
        read |= set(_ENV_VAR.findall((dbt_project.profiles_dir / "profiles.yml").read_text()))
        parsed_with = {name: os.environ.get(name) for name in read}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        cleanup_event_logger()  # its log file was in the scratch folder
        shutil.rmtree(scratch, ignore_errors=True)
    if not result.success:
        # The builds parse for themselves, and say what is wrong where a run shows it.
        print(f"ketreg worker: dbt's parse failed ({result.exception}); "
              "each build will parse for itself", file=sys.stderr, flush=True)
        return
    _parsed = ParsedProject(result.result, parsed_with)


def build(argv: list[str]) -> int:
    """dbt given `argv`, in a child forked from the worker, with dbt's own exit codes:
    from the worker's parse when it fits, else as the `dbt` command."""
    from dbt.cli.main import cli, dbtRunner

    from orchestration.defs.transform.dbt_event_levels import format_kept_lines_only

    format_kept_lines_only()
    if _parsed is None or not _parsed.fits(argv):
        cli.main(args=argv, prog_name="dbt")  # exits
    # Shown among the build's lines in the run's log.
    print(STARTED_FROM_WORKER_PARSE, file=sys.stderr, flush=True)
    result = dbtRunner(manifest=_parsed.manifest).invoke(argv)
    if result.success:
        return 0
    # A failing node or test is 1, an error that stopped dbt 2 (dbt reported either).
    return 1 if result.exception is None else 2
