"""dbt's per-run target folders under KETREG_HOME: each run gets its own, the last few
are kept, and each starts from the previous run's parse of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

# Each dbt build writes its own target folder (compiled SQL, run results: ~10 MB);
# the last few are kept for debugging, not every run's forever.
KEEP_TARGET_DIRS = 5

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def new_target_dir(parent: Path, run_id: str) -> Path:
    """The run's target folder, holding the newest earlier run's parse of the project.

    dbt re-reads only the files that changed since a parse made with the same profile.
    dagster-dbt would otherwise seed the folder from the checkout's target/, parsed
    with another warehouse path, so dbt would parse the whole project again (~3 s).
    """
    target = parent / run_id
    target.mkdir(parents=True, exist_ok=True)
    earlier = [p for p in _newest_first(parent)
               if p != target and (p / PARTIAL_PARSE_FILE).is_file()]
    if earlier:
        shutil.copyfile(earlier[0] / PARTIAL_PARSE_FILE, target / PARTIAL_PARSE_FILE)
    return target


def prune_target_dirs(parent: Path, keep: int = KEEP_TARGET_DIRS) -> list[Path]:
    """Delete all but the `keep` newest folders under `parent`; returns those deleted."""
    folders = _newest_first(parent)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return folders[keep:]


def _newest_first(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted((p for p in parent.iterdir() if p.is_dir()),
                  key=lambda p: p.stat().st_mtime_ns, reverse=True)
