"""dbt as dagster-dbt runs it, less two start-up costs this project never uses.

Before every `dbt build`, DbtCliResource.cli runs `dbt --version` in a subprocess, to
tell dbt-core from the Fusion engine, and sets up a dbt adapter in this process, for
fetching row counts and column metadata from the warehouse. Here dbt-core is a locked
Python dependency, so its version is read from the installed package, and neither
metadata fetch is used. Together that was about 5 s of every run (dagster-dbt 0.29).
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.worker import SOCKET_ENV


class DbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_executable() -> str:
    """dbt, or in `ketreg worker` (imported there before its first fork), `ketreg-dbt`:
    the build is forked from the worker as the run is, and falls back to dbt itself."""
    if os.environ.get(SOCKET_ENV):
        return str(Path(sys.executable).parent / "ketreg-dbt")
    return "dbt"
