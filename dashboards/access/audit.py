"""The audit trail: KETREG_HOME/audit/audit.jsonl, append-only and hash-chained.

Each line is one JSON record: `seq` (1, 2, ...), `at` (UTC), `event`, `actor`,
the event's details, `prev` (the previous line's hash; 64 zeros for the first)
and `hash`, the SHA-256 of the record without `hash` as canonical JSON. So an
edited line no longer matches its hash, and a removed or reordered line breaks
the chain at the next one. `head.json` beside it holds the last seq and hash,
so that lines removed from the end are noticed too.

Events: sign_in, sign_in_failed, sign_in_locked, sign_in_refused, sign_out,
session_expired, page_view, download, user_added, user_removed, role_changed.
Passwords are never recorded, nor anything typed into the password field.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dashboards.access import files

GENESIS = "0" * 64
LOG_NAME = "audit.jsonl"
HEAD_NAME = "head.json"


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def record_hash(record: dict) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _last_line(path: Path) -> bytes | None:
    """The last non-empty line of `path`, read from its end."""
    if not path.exists():
        return None
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block, data = 8192, b""
        position = end
        while position > 0:
            step = min(block, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
            stripped = data.rstrip(b"\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        stripped = data.rstrip(b"\n")
        return stripped or None


class AuditLog:
    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / LOG_NAME
        self.head = directory / HEAD_NAME

    def append(self, event: str, actor: str, **details) -> dict:
        files.private_dir(self.directory)
        with files.locked(self.path):
            last = _last_line(self.path)
            if last is None:
                seq, prev = 0, GENESIS
            else:
                previous = json.loads(last)
                seq, prev = int(previous["seq"]), previous["hash"]
            record = {"seq": seq + 1, "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                      "event": event, "actor": actor,
                      **{k: v for k, v in details.items() if k not in ("seq", "hash", "prev")},
                      "prev": prev}
            record = json.loads(_canonical(record))  # what is written is what is hashed
            record["hash"] = record_hash(record)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, _canonical(record) + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            files.tighten(self.path)
            files.write_private(self.head, _canonical({"seq": record["seq"],
                                                       "hash": record["hash"]}))
            return record

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip()]


@dataclass(frozen=True)
class Verification:
    ok: bool
    lines: int
    first_bad_line: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.lines} records, hash chain verified"
        return f"audit log tampered with at line {self.first_bad_line}: {self.problem}"


def verify(directory: Path) -> Verification:
    """Check every line's hash, the chain, the sequence and the head."""
    log = AuditLog(directory)
    if not log.path.exists():
        if log.head.exists():
            return Verification(False, 0, 1, "the log is missing but its head says it had "
                                             "records")
        return Verification(True, 0)
    prev, count = GENESIS, 0
    with log.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if not line.strip():
                return Verification(False, count, number, "an empty line")
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return Verification(False, count, number, "not a JSON record")
            if not isinstance(record, dict) or "hash" not in record:
                return Verification(False, count, number, "not an audit record")
            if record_hash(record) != record["hash"]:
                return Verification(False, count, number,
                                    "its content does not match its hash (edited)")
            if record.get("prev") != prev:
                return Verification(False, count, number,
                                    "it does not follow the line before it (a line was "
                                    "removed, inserted or reordered, or the one before edited)")
            if record.get("seq") != number:
                return Verification(False, count, number,
                                    f"sequence number {record.get('seq')} where {number} was "
                                    "expected (a line was removed or reordered)")
            prev, count = record["hash"], number
    if not log.head.exists():
        return Verification(False, count, count + 1 if count else 1, "head.json is missing")
    try:
        head = json.loads(log.head.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return Verification(False, count, count + 1, "head.json is not readable")
    head_seq, head_hash = head.get("seq"), head.get("hash")
    if head_seq == count and head_hash == prev:
        return Verification(True, count)
    if head_seq == count - 1 and count and head_hash == _hash_of_line(log.path, count - 1):
        # A crash between appending a line and updating the head: the line is good.
        return Verification(True, count)
    if isinstance(head_seq, int) and head_seq > count:
        return Verification(False, count, count + 1,
                            f"the head records {head_seq} lines: lines {count + 1}-{head_seq} "
                            "were removed from the end")
    return Verification(False, count, count, "the last line does not match the head "
                                             "(edited or replaced)")


def _hash_of_line(path: Path, number: int) -> str | None:
    if number == 0:
        return GENESIS
    with path.open("rb") as handle:
        for index, raw in enumerate(handle, start=1):
            if index == number:
                return json.loads(raw)["hash"]
    return None
