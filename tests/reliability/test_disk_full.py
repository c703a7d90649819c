"""Disk full mid-load: the run fails cleanly, no file is loaded without its rows, and the
run after space comes back ends as if the disk had never filled (small_disk.py).

`make test` fills a 5 MB KETREG_HOME (it runs in the background, beside the
bad week). `make soak` tries other sizes, and a warehouse alone on a small
disk, so that the disk fills at other writes: Dagster's event log, the
archive copy, DuckDB's WAL and its checkpoint.
"""

from __future__ import annotations

import pytest

from tests.reliability.homes import differences
from tests.reliability.small_disk import fill_and_recover

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def disk_full(disk_full_run):
    return disk_full_run.result()


def test_the_run_fails_with_a_non_zero_exit_when_the_disk_fills(disk_full, figures):
    # Positive: the command reported the failure; a negative code is death by a signal.
    assert disk_full.failed.returncode > 0, disk_full.failed.stdout[-3000:]
    figures["disk full (make test)"] = (f"{disk_full.how}: exit {disk_full.failed.returncode} "
                                        f"after {disk_full.files_recorded} of "
                                        f"{disk_full.files_in_inbox} files")


def test_space_ran_out_in_the_middle_of_the_load(disk_full):
    assert 0 < disk_full.files_recorded < disk_full.files_in_inbox


def test_no_file_is_marked_loaded_without_its_rows(disk_full):
    assert disk_full.half_loaded == []


def test_once_space_is_back_the_run_ends_as_if_the_disk_had_never_filled(disk_full, reference):
    assert disk_full.repaired.returncode == 0, disk_full.repaired.stdout[-3000:]
    assert differences(reference.content, disk_full.content) == []


@pytest.mark.soak
@pytest.mark.parametrize("megabytes, warehouse_only",
                         [(3, False), (4, False), (7, False), (12, False), (20, False),
                          (1, True), (2, True), (4, True), (8, True)])
def test_whichever_write_the_disk_fills_on_the_next_run_repairs(
        exports, reference, tmp_path_factory, megabytes, warehouse_only, figures):
    result = fill_and_recover(exports, tmp_path_factory.mktemp("disk") / "case", megabytes,
                              warehouse_only)
    where = "warehouse alone" if warehouse_only else "KETREG_HOME"
    figures[f"disk full, {where} on {megabytes} MB"] = (
        f"exit {result.failed.returncode} after {result.files_recorded} of "
        f"{result.files_in_inbox} files; next run: exit {result.repaired.returncode}")
    assert result.failed.returncode > 0
    assert result.half_loaded == []
    assert result.repaired.returncode == 0, result.repaired.stdout[-3000:]
    assert differences(reference.content, result.content) == []
