"""A registry whose disk fills mid-load, then gets its space back.

KETREG_HOME (or only the warehouse file) lives on a small tmpfs mounted for
the test (root only). Where mounting is not allowed, the run gets
RLIMIT_FSIZE instead: no file it writes may grow past the limit, so a growing
file fails the same way (EFBIG rather than ENOSPC). `how` says which one a
scenario used.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.homes import (
    Exports,
    Started,
    content,
    half_loaded_files,
    open_read_only,
    run_ketreg,
)

ROOMY = "1g"


class SmallDisk:
    """A folder whose filesystem holds `megabytes`, grown back with `make_room()`."""

    def __init__(self, folder: Path, megabytes: int):
        self.folder = folder
        self.megabytes = megabytes
        folder.mkdir(parents=True, exist_ok=True)
        self.mounted = os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs",
             str(folder)], capture_output=True).returncode == 0
        self.how = (f"tmpfs of {megabytes} MB" if self.mounted
                    else f"RLIMIT_FSIZE of {megabytes} MB per file")

    def limit_child(self):
        """preexec_fn for the run: the file-size limit, when there is no small filesystem."""
        if self.mounted:
            return None
        limit = self.megabytes << 20
        return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    def make_room(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", f"remount,size={ROOMY}", str(self.folder)],
                           check=True)

    def remove(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)


@dataclass(frozen=True)
class DiskFull:
    how: str
    failed: subprocess.CompletedProcess
    files_recorded: int
    files_in_inbox: int
    half_loaded: list[str]
    repaired: subprocess.CompletedProcess
    content: dict[str, list[tuple]] | None


def fill_and_recover(exports: Exports, base: Path, megabytes: int,
                     warehouse_only: bool = False) -> DiskFull:
    """One run on a disk of `megabytes`, then one run once the disk has room again.

    With `warehouse_only`, KETREG_HOME stays on the ordinary disk and only the
    warehouse file (`--warehouse`) is on the small one, so that DuckDB is the
    first to find it full, not Dagster's event log.
    """
    base.mkdir(parents=True, exist_ok=True)
    inbox = exports.fill(base / "inbox")  # the clinics' folder is not on the small disk
    disk = SmallDisk(base / ("small" if warehouse_only else "home"), megabytes)
    home = base / "home" if warehouse_only else disk.folder
    warehouse = (disk.folder if warehouse_only else home) / "warehouse.duckdb"
    run_args = ["run", "--inbox", str(inbox), "--warehouse", str(warehouse)]
    try:
        failed = Started(home, run_args, preexec_fn=disk.limit_child()).wait()
        # Room first: DuckDB replays the WAL when it opens, even read-only.
        disk.make_room()
        recorded, half_loaded = 0, []
        if warehouse.exists():
            half_loaded = half_loaded_files(warehouse)
            con = open_read_only(warehouse)
            (recorded,) = con.execute("select count(*) from ops.ingest_manifest").fetchone()
            con.close()
        repaired = run_ketreg(home, *run_args)
        held = content(warehouse) if repaired.returncode == 0 else None
        return DiskFull(disk.how, failed, recorded, len(exports.files()) + 1, half_loaded,
                        repaired, held)
    finally:
        disk.remove()
        shutil.rmtree(base, ignore_errors=True)
