"""One hostile file through the real reader and ingest, judged as the contract promises.

exports.md: every file ends as a clear rejection, or loaded with every row
either stored or quarantined. `ingest_one` runs `load.ingest_files` on a fresh
warehouse, interrupts DuckDB if the file takes longer than a timeout (a hang
is a failure, not a wait), and checks the outcome against the warehouse,
the rejected folder and the archive. Shared by the Hypothesis tests and the
atheris target.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.defs.ingest import inbox, load
from orchestration.defs.ingest.contract import FileStatus

LOADED_AT = datetime(2026, 3, 2, 12, 0)
TIMEOUT_SECONDS = 60.0


class Hang(AssertionError):
    """The ingest of one file outlived the timeout."""


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str | None
    warnings: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def ingest_one(name: str, content: bytes, timeout: float = TIMEOUT_SECONDS) -> Verdict:
    """Ingest `content` as an inbox file called `name`; raises if the contract is broken."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        home = Path(tmp)
        (home / "inbox").mkdir()
        path = home / "inbox" / name
        path.write_bytes(content)
        con = duckdb.connect(":memory:")
        try:
            load.ensure_warehouse(con)
            watchdog = threading.Timer(timeout, con.interrupt)
            watchdog.start()
            try:
                outcomes = list(load.ingest_files(
                    con, [inbox.fingerprint(path)], rejected_dir=home / "rejected",
                    archive_dir=home / "archive", run_id="hostile", loaded_at=LOADED_AT))
            except duckdb.InterruptException:
                raise Hang(f"{name}: still ingesting after {timeout} s") from None
            finally:
                watchdog.cancel()
            return _judged(con, home, path, content, outcomes)
        finally:
            con.close()


def _judged(con, home: Path, path: Path, content: bytes, outcomes) -> Verdict:
    assert len(outcomes) == 1, "a new file must get one outcome and one manifest row"
    [outcome] = outcomes
    rows = con.execute(
        "select status, reason, warnings, rows_read, rows_loaded, rows_quarantined, "
        "rows_unchanged, entity, file_sha256 from ops.ingest_manifest").fetchall()
    assert len(rows) == 1, f"one manifest row expected, found {len(rows)}"
    status, reason, warnings, read, loaded, quarantined, unchanged, entity, sha = rows[0]
    assert status == str(outcome.status)
    (quarantine_rows,) = con.execute("select count(*) from ops.quarantine").fetchone()
    stored = sum(con.execute(f"select count(*) from raw.{table}").fetchone()[0]
                 for table in ("patients", "sessions", "assessments", "adverse_events"))
    if status.startswith("REJECTED"):
        assert reason, "a rejection must say why"
        assert (read, loaded, quarantined, stored, quarantine_rows) == (0, 0, 0, 0, 0)
        assert (load.rejected_path(home / "rejected", outcome_file(path, sha))
                .read_bytes() == content), "the rejected copy must be the file as received"
        assert not path.exists(), "a rejected file leaves the inbox"
    else:
        assert status == FileStatus.LOADED, status
        assert read == loaded + quarantined, (read, loaded, quarantined)
        assert stored == loaded - unchanged, (stored, loaded, unchanged)
        assert quarantine_rows == quarantined, (quarantine_rows, quarantined)
        assert (load.archive_path(home / "archive", outcome_file(path, sha))
                .read_bytes() == content), "the archive copy must be the file as received"
    return Verdict(status, reason, warnings, read, loaded, quarantined)


def outcome_file(path: Path, sha: str) -> inbox.InboxFile:
    return inbox.InboxFile(path=path, sha256=sha, size=0)
