"""The inbox: which files are there, what their bytes hash to, which are settled."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.defs.ingest.contract import ENTITIES, entity_for_file

_CHUNK = 8 << 20


# A file's identity on disk (size, mtime_ns, ctime_ns, inode): any write moves its
# ctime, which no tool can set back.
StatKey = tuple[int, int, int, int]


@dataclass(frozen=True)
class InboxFile:
    path: Path
    sha256: str
    size: int
    stat_key: StatKey | None = None  # as it was when read

    @property
    def name(self) -> str:
        return self.path.name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _load_order(path: Path) -> tuple[int, str]:
    # Patients before the entities that refer to them, so that a patient and
    # her sessions arriving together never count as orphans.
    entity = entity_for_file(path.name)
    rank = list(ENTITIES).index(entity.name) if entity else len(ENTITIES)
    return rank, path.name


def settled_files(inbox: Path, stable_seconds: float = 0.0) -> list[Path]:
    """Regular, visible files of the inbox that are no longer being written.

    A file still growing when it is listed would be hashed half-written; it is
    left for the next run. Hidden files and `*.part`/`*.tmp` are transfers in
    progress by convention.
    """
    if not inbox.is_dir():
        return []
    now = time.time()
    files = []
    for entry in os.scandir(inbox):
        if not entry.is_file(follow_symlinks=False):
            continue
        if entry.name.startswith(".") or entry.name.endswith((".part", ".tmp")):
            continue
        if stable_seconds and now - entry.stat().st_mtime < stable_seconds:
            continue
        files.append(Path(entry.path))
    return sorted(files, key=_load_order)


def stat_key(path: Path) -> StatKey:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def fingerprint(path: Path, known: dict[str, tuple[StatKey, str]] | None = None) -> InboxFile:
    """Hash a file, refusing one that changed while it was read.

    `known` maps file names to the stat key and hash recorded when they were last read
    (known_fingerprints): a file whose stat key still matches is not read again.
    """
    before = stat_key(path)
    if known and (recorded := known.get(path.name)) and recorded[0] == before:
        return InboxFile(path=path, sha256=recorded[1], size=before[0], stat_key=before)
    sha = sha256_of(path)
    if stat_key(path) != before:
        raise FileChangedWhileReading(path.name)
    return InboxFile(path=path, sha256=sha, size=before[0], stat_key=before)


def known_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[StatKey, str]]:
    rows = con.execute("select file_name, size, mtime_ns, ctime_ns, inode, file_sha256 "
                       "from ops.inbox_fingerprints").fetchall()
    return {name: ((size, mtime, ctime, inode), sha)
            for name, size, mtime, ctime, inode, sha in rows}


def remember_fingerprints(con: duckdb.DuckDBPyConnection, recorded: list[InboxFile]) -> None:
    """Keep the fingerprints of the files this run found recorded, and only theirs:
    the table follows the inbox as it is now."""
    kept = [f for f in recorded if f.stat_key is not None]
    columns = list(zip(*[(f.name, *f.stat_key, f.sha256) for f in kept], strict=True)) or [[]] * 6
    con.execute("begin transaction")
    con.execute("delete from ops.inbox_fingerprints")
    con.execute(
        "insert into ops.inbox_fingerprints select unnest(?::varchar[]), unnest(?::bigint[]), "
        "unnest(?::bigint[]), unnest(?::bigint[]), unnest(?::ubigint[]), unnest(?::varchar[])",
        [list(c) for c in columns],
    )
    con.execute("commit")


class FileChangedWhileReading(Exception):
    pass
