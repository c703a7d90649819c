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


# What a dbt build follows from, besides the installed dbt: the project's own files.
SOURCE_FOLDERS = ("models", "seeds", "macros", "tests")
SOURCE_FILES = ("dbt_project.yml",)


def project_files(project_dir: Path = ketreg_settings.DBT_PROJECT_DIR) -> list[Path]:
    """The project's source files, sorted."""
    files = [path for folder in SOURCE_FOLDERS
             for path in (project_dir / folder).rglob("*") if path.is_file()]
    return sorted(files + [project_dir / name for name in SOURCE_FILES])


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = ketreg_settings.DBT_PROJECT_DIR
    # Folders too: deleting a file changes only its folder's time.
    return any(
        path.stat().st_mtime > built
        for folder in SOURCE_FOLDERS
        for path in [sources / folder, *(sources / folder).rglob("*")]
    ) or any((sources / name).stat().st_mtime > built for name in SOURCE_FILES)


if _manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)
