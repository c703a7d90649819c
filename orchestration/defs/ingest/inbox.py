"""The inbox: which files are there, what their bytes hash to, which are settled."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from orchestration.defs.ingest.contract import ENTITIES, entity_for_file

_CHUNK = 8 << 20


@dataclass(frozen=True)
class InboxFile:
    path: Path
    sha256: str
    size: int

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


def fingerprint(path: Path) -> InboxFile:
    """Hash a file, refusing one whose size changed while it was read."""
    before = path.stat().st_size
    sha = sha256_of(path)
    if path.stat().st_size != before:
        raise FileChangedWhileReading(path.name)
    return InboxFile(path=path, sha256=sha, size=before)


class FileChangedWhileReading(Exception):
    pass
