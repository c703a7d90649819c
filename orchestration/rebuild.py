"""`ketreg rebuild`: a new warehouse from the archived export files and the manifest.

The warehouse is derived data. What it was built from is kept apart from it:
every accepted file under KETREG_HOME/archive/<sha[:2]>/<sha>.<ext>, every
rejected one under KETREG_HOME/rejected/<sha>.<ext>, and the list of files in
the order they were processed (the manifest, also copied into each published
snapshot). A rebuild moves the damaged warehouse aside (it is never deleted),
then replays those files through the same Dagster job, in their original order
and with their original load time, so that every version, conflict, orphan and
quarantine verdict comes out as it did the first time.

Where the file list comes from, best first:

1. the ops.ingest_manifest of the damaged warehouse, and of any moved aside
   before, when it can still be read (in a child process: a damaged file may
   take its reader down with it), and the published snapshot's copy of it, as
   of the last publish. Each is the start of one history: the longest gives
   the order, the others add what it lacks;
2. archived files no list names: their name is lost, so the entity is
   recognised from the header and the file replayed as
   `<entity>_recovered_<sha12>.<ext>`, after the others, in archive order.

Not recoverable: a file whose bytes are in neither the archive nor the
rejected folder; the names of files only the archive knows; rows of ops tables
the job does not rebuild from files (dbt test and GX results of past runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestration import settings as ketreg_settings
from orchestration.defs.ingest.load import archived_files

_LIST_MANIFEST = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
rows = con.execute(
    "select load_id, file_sha256, file_name, status, run_id, loaded_at "
    "from ops.ingest_manifest order by load_id").fetchall()
print(json.dumps([[*r[:5], r[5].isoformat()] for r in rows]))
"""

# A damaged file can make DuckDB spin or abort; the child gets this long.
_READ_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class RecordedFile:
    """One file to replay: its bytes, the name it arrived under, and when it was loaded."""

    file_sha256: str
    file_name: str
    status: str
    run_id: str | None
    loaded_at: datetime
    source: str  # warehouse, snapshot or archive (see the module docstring)


@dataclass
class RebuildReport:
    moved_aside: list[Path] = field(default_factory=list)
    manifest_sources: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    replayed: int = 0
    recovered_without_name: list[str] = field(default_factory=list)
    unrecoverable: list[RecordedFile] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    success: bool = False
    failure: str | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        lines = [f"Moved aside: {p}" for p in self.moved_aside] or ["No warehouse to move aside."]
        sources = ", ".join(f"{n} from the {s}" for s, n in self.manifest_sources.items() if n)
        lines.append(f"Files to replay: {sources or 'none'}")
        lines.append(f"Replayed {self.replayed} file(s) in {self.batches} batch(es) "
                     f"in {self.seconds:.0f} s")
        lines += [f"  archived file with no recorded name, replayed as {name}"
                  for name in self.recovered_without_name]
        lines += [f"  NOT RECOVERABLE: {f.file_name} ({f.status}, sha256 {f.file_sha256}): "
                  "its bytes are in neither the archive nor the rejected folder"
                  for f in self.unrecoverable]
        lines += [f"  status differs from the first load: {s}" for s in self.status_changed]
        if not self.success:
            lines.append(f"The rebuild failed: {self.failure}")
        return lines


def read_manifest(warehouse: Path) -> list[RecordedFile] | None:
    """The manifest a warehouse (or snapshot) file holds, or None when it cannot be read."""
    if not warehouse.exists():
        return None
    try:
        listed = subprocess.run([sys.executable, "-c", _LIST_MANIFEST, str(warehouse)],
                                capture_output=True, text=True, timeout=_READ_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return None
    if listed.returncode != 0:
        return None
    return [RecordedFile(sha, name, status, run_id, datetime.fromisoformat(at), "")
            for _, sha, name, status, run_id, at in json.loads(listed.stdout)]


def move_aside(warehouse: Path) -> list[Path]:
    """Rename the warehouse and its WAL out of the way, keeping them as evidence."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = warehouse.with_name(f"{warehouse.name}.damaged-{stamp}")
    n = 1
    while target.exists():  # two rebuilds in one second must not overwrite the evidence
        n += 1
        target = warehouse.with_name(f"{warehouse.name}.damaged-{stamp}-{n}")
    moved = []
    # The WAL keeps its pairing (<db>.wal), so the moved file opens with it.
    for source, dest in ((warehouse, target),
                         (warehouse.with_name(warehouse.name + ".wal"),
                          target.with_name(target.name + ".wal"))):
        if source.exists():
            os.replace(source, dest)
            moved.append(dest)
    return moved


def _archived_bytes(settings: ketreg_settings.Settings, sha: str) -> Path | None:
    found = sorted((settings.archive_dir / sha[:2]).glob(f"{sha}.*"))
    found = [p for p in found if not p.name.endswith(".partial")]
    return found[0] if found else None


def _rejected_bytes(settings: ketreg_settings.Settings, sha: str) -> Path | None:
    found = [p for p in sorted(settings.rejected_dir.glob(f"{sha}.*"))
             if not p.name.endswith(".partial")]
    return found[0] if found else None


def bytes_of(settings: ketreg_settings.Settings, recorded: RecordedFile) -> Path | None:
    if recorded.status.startswith("REJECTED"):
        return _rejected_bytes(settings, recorded.file_sha256) or _archived_bytes(
            settings, recorded.file_sha256)
    return _archived_bytes(settings, recorded.file_sha256) or _rejected_bytes(
        settings, recorded.file_sha256)


def entity_from_header(path: Path) -> str | None:
    """The one entity whose required columns the file's header holds, if any."""
    import duckdb

    from orchestration.defs.ingest import readers
    from orchestration.defs.ingest.contract import ENTITIES

    con = duckdb.connect()
    try:
        reader = readers.reader_for(path)
        if reader is None:
            return None
        try:
            columns = set(reader(con, path, "sniffed"))
        except readers.UnreadableFile:
            return None
    finally:
        con.close()
    matching = [e for e in ENTITIES.values() if set(e.required_names) <= columns]
    if not matching:
        return None
    return max(matching, key=lambda e: len(e.required_names)).name


def recorded_files(settings: ketreg_settings.Settings) -> tuple[list[RecordedFile], dict[str, int]]:
    """Every file to replay, in the order it was first processed (see the module docstring)."""
    lists = []
    # Warehouses moved aside, newest first: an interrupted rebuild moves its own partial
    # warehouse aside too, and the one it was rebuilding from must still be read.
    for path in sorted(settings.warehouse.parent.glob(f"{settings.warehouse.name}.damaged-*"),
                       reverse=True):
        if not path.name.endswith(".wal"):
            lists.append(("warehouse", read_manifest(path) or []))
    lists.append(("snapshot", read_manifest(settings.snapshot) or []))
    # Each list is the start of one history; the longest one gives the order.
    lists.sort(key=lambda named: len(named[1]), reverse=True)
    known: dict[tuple[str, str], RecordedFile] = {}
    counts = {"warehouse": 0, "snapshot": 0, "archive": 0}
    for source, recorded in lists:
        for f in recorded:
            if (f.file_sha256, f.file_name) not in known:
                known[(f.file_sha256, f.file_name)] = RecordedFile(
                    **{**f.__dict__, "source": source})
                counts[source] += 1
    files = list(known.values())
    named = {sha for sha, _ in known}
    leftovers = {sha: path for sha, path in archived_files(settings.archive_dir).items()
                 if sha not in named}
    for sha, path in sorted(leftovers.items(), key=lambda kv: (kv[1].stat().st_mtime_ns,
                                                               kv[1].name)):
        entity = entity_from_header(path)
        if entity is None:
            continue
        files.append(RecordedFile(
            sha, f"{entity}_recovered_{sha[:12]}{path.suffix.lower()}", "LOADED", None,
            datetime.fromtimestamp(int(path.stat().st_mtime)), "archive"))
        counts["archive"] += 1
    return files, counts


def plan_batches(files: Iterable[RecordedFile]) -> list[list[RecordedFile]]:
    """Consecutive files the job would process in this same order from one inbox.

    The job sorts an inbox patients-first, then by name; a batch holds files of
    one original run (one load time) in an order that sort keeps.
    """
    from orchestration.defs.ingest.inbox import _load_order

    batches: list[list[RecordedFile]] = []
    for f in files:
        current = batches[-1] if batches else None
        if (current is None or f.run_id != current[-1].run_id
                or f.loaded_at != current[-1].loaded_at
                or _load_order(Path(f.file_name)) <= _load_order(Path(current[-1].file_name))):
            batches.append([f])
        else:
            current.append(f)
    return batches


def _stage(batch: list[RecordedFile], settings: ketreg_settings.Settings, folder: Path,
           report: RebuildReport) -> int:
    folder.mkdir(parents=True)
    staged = 0
    for f in batch:
        source = bytes_of(settings, f)
        if source is None:
            report.unrecoverable.append(f)
            continue
        target = folder / f.file_name
        shutil.copyfile(source, target)
        # Settled long ago, whatever KETREG_STABLE_SECONDS says.
        os.utime(target, (0, 0))
        staged += 1
    return staged


def rebuild(settings: ketreg_settings.Settings | None = None) -> RebuildReport:
    """Move the warehouse aside and replay every recorded file into a new one."""
    from orchestration.run import exclusive_run, run_job

    settings = settings or ketreg_settings.load()
    report = RebuildReport()
    started = time.monotonic()
    with exclusive_run(settings):
        report.moved_aside = move_aside(settings.warehouse)
        files, report.manifest_sources = recorded_files(settings)
        report.recovered_without_name = [f.file_name for f in files if f.source == "archive"]
        batches = plan_batches(files)
        staging = settings.home / "rebuild"
        shutil.rmtree(staging, ignore_errors=True)
        report.success = True
        for number, batch in enumerate(batches, start=1):
            folder = staging / f"{number:05d}"
            report.replayed += _stage(batch, settings, folder, report)
            outcome = run_job(folder, settings.warehouse, loaded_at=batch[0].loaded_at,
                              ingest_only=number < len(batches))
            report.batches += 1
            if not outcome.success:
                report.success, report.failure = False, outcome.failure
                break
        if not batches:
            # Nothing to replay: still build the (empty) models, as a first run would.
            staging.mkdir(parents=True, exist_ok=True)
            outcome = run_job(staging, settings.warehouse)
            report.success, report.failure = outcome.success, outcome.failure
        shutil.rmtree(staging, ignore_errors=True)
        if report.success:
            report.status_changed = _status_changes(settings.warehouse, files)
    report.seconds = time.monotonic() - started
    return report


def _status_changes(warehouse: Path, files: list[RecordedFile]) -> list[str]:
    """Files whose status after the replay is not the one first recorded."""
    replayed = {(f.file_sha256, f.file_name): f.status for f in read_manifest(warehouse) or []}
    return [f"{f.file_name}: {f.status} then, {replayed.get((f.file_sha256, f.file_name))} now"
            for f in files
            if (f.file_sha256, f.file_name) in replayed
            and replayed[(f.file_sha256, f.file_name)] != f.status]
