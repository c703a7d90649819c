"""The dbt project, wrapped once, with its manifest built when missing or stale.

`DbtProject.prepare_if_dev()` only acts under `dagster dev` (design.md), so
the manifest is built here whenever it is missing or older than the project's
files: on a fresh checkout, after an edit, in tests and in CI alike.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration import settings as ketreg_settings


def put_venv_on_path() -> None:
    """dagster-dbt looks for `dbt` on PATH; the one installed beside this Python is the
    locked one, also when the venv is not activated (cron, CI, `.venv/bin/ketreg`)."""
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


put_venv_on_path()

# The profile reads the warehouse path from the environment, even to parse; an empty
# value (the bench's and the tests' way to say "the default") fails the parse.
if not os.environ.get("KETREG_WAREHOUSE"):
    os.environ["KETREG_WAREHOUSE"] = str(ketreg_settings.load().warehouse)

dbt_project = DbtProject(
    project_dir=ketreg_settings.DBT_PROJECT_DIR,
    profiles_dir=ketreg_settings.DBT_PROJECT_DIR,
)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = ketreg_settings.DBT_PROJECT_DIR
    return any(
        path.stat().st_mtime > built
        for folder in ("models", "seeds", "macros", "tests")
        for path in (sources / folder).rglob("*")
    ) or (sources / "dbt_project.yml").stat().st_mtime > built


if _manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)
