"""dbt's per-run target folders stay under KETREG_HOME, only the last few are kept, and
each run starts from the previous run's parse of the project."""

from __future__ import annotations

import os

from orchestration.defs.transform.target_dirs import (
    PARTIAL_PARSE_FILE,
    new_target_dir,
    prune_target_dirs,
)


def _folder(parent, name, age_s, parse=None):
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    if parse is not None:
        (folder / PARTIAL_PARSE_FILE).write_bytes(parse)
    os.utime(folder, ns=(age_s * 10**9, age_s * 10**9))
    return folder


def test_only_the_newest_target_folders_are_kept(tmp_path):
    parent = tmp_path / "dbt" / "target"
    for i in range(8):
        _folder(parent, f"run-{i}", age_s=i)

    deleted = prune_target_dirs(parent, keep=5)

    assert sorted(p.name for p in parent.iterdir()) == [f"run-{i}" for i in range(3, 8)]
    assert sorted(p.name for p in deleted) == ["run-0", "run-1", "run-2"]


def test_no_target_folder_yet_is_fine(tmp_path):
    assert prune_target_dirs(tmp_path / "missing", keep=5) == []


def test_a_new_run_starts_from_the_newest_earlier_parse(tmp_path):
    parent = tmp_path / "target"
    _folder(parent, "oldest", age_s=1, parse=b"old parse")
    _folder(parent, "newer", age_s=2, parse=b"newer parse")
    _folder(parent, "failed-before-parsing", age_s=3)

    target = new_target_dir(parent, "this-run")

    assert target == parent / "this-run"
    assert (target / PARTIAL_PARSE_FILE).read_bytes() == b"newer parse"


def test_the_first_run_gets_an_empty_folder(tmp_path):
    target = new_target_dir(tmp_path / "target", "first-run")

    assert target.is_dir() and list(target.iterdir()) == []
