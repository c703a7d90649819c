"""dbt's per-run target folders stay under KETREG_HOME, and only the last few are kept."""

from __future__ import annotations

import os

from orchestration.defs.transform.assets import prune_target_dirs


def test_only_the_newest_target_folders_are_kept(tmp_path):
    parent = tmp_path / "dbt" / "target"
    for i in range(8):
        folder = parent / f"run-{i}"
        folder.mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, ns=(i * 10**9, i * 10**9))

    deleted = prune_target_dirs(parent, keep=5)

    assert sorted(p.name for p in parent.iterdir()) == [f"run-{i}" for i in range(3, 8)]
    assert sorted(p.name for p in deleted) == ["run-0", "run-1", "run-2"]


def test_no_target_folder_yet_is_fine(tmp_path):
    assert prune_target_dirs(tmp_path / "missing", keep=5) == []
