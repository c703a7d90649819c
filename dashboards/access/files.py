"""Owner-only files: created 0600 in 0700 folders, replaced atomically, locked across
processes and threads."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def tighten(path: Path) -> None:
    """Readable by the owner only, whatever it was."""
    if path.exists() and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` + '.lock', between threads and between processes."""
    lock_path = path.with_name(path.name + ".lock")
    private_dir(lock_path.parent)
    with _GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(lock_path), threading.Lock())
    with thread_lock:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, mode 0600."""
    private_dir(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
