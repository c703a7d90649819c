"""A registry home in a test: run `ketreg` in it, kill it, and read what it holds.

Everything here works on a KETREG_HOME folder through the `ketreg` command, as
an operator would: the tests never import the job itself.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psutil

from dashboards.queries import tables_read
from orchestration.defs.publish.snapshot import published_columns
from orchestration.synthetic import generate_network

RUN_TIMEOUT = 900

# Columns that say when, or by which load, something was built, not what the registry
# holds: build and load times, and the load id an incremental model has caught up to.
_WHEN_COLUMNS = {"built_at_utc", "last_loaded_at", "last_file_seen_at", "_through_load_id"}
MANIFEST_CONTENT = ("file_sha256, file_name, entity, file_format, status, rows_read, rows_loaded, "
                    "rows_quarantined, rows_unchanged, rows_orphaned, reason, warnings, "
                    "duplicate_of")


def ketreg_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment pointed at `home`, without settings that would point elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("KETREG_WAREHOUSE", "KETREG_INBOX", "DAGSTER_HOME")}
    return {**env, "KETREG_HOME": str(home), **extra}


KETREG = "orchestration.cli"
# The same command with one fault injected (tests/reliability/faults.py).
KETREG_WITH_FAULT = "tests.reliability.faults"


def start_worker(home: Path, timeout: float = 180) -> Started:
    """`ketreg worker` for `home`, once it serves (its imports take a while)."""
    worker = Started(home, ["worker"])
    if not worker.wait_for(r"serving ", timeout=timeout):
        raise RuntimeError(f"ketreg worker did not start:\n{worker.output()}")
    return worker


def run_ketreg(home: Path, *args: str, timeout: float = RUN_TIMEOUT,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`ketreg ARGS` to completion, killed (with its children) if it outlives `timeout`."""
    return Started(home, args, env=env).wait(timeout)


class Started:
    """A `ketreg` process in its own session, so that kill -9 reaches dbt and GX too."""

    def __init__(self, home: Path, args: tuple[str, ...] | list[str],
                 env: dict[str, str] | None = None, preexec_fn=None, module: str = KETREG):
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.log = home / f"ketreg-{time.time_ns()}.log"
        self._log_file = self.log.open("w")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env or ketreg_env(home),
            stdout=self._log_file,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec_fn,
            cwd=Path(__file__).resolve().parents[2],
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def wait_for(self, pattern: str, timeout: float = RUN_TIMEOUT, poll: float = 0.05) -> bool:
        """True once `pattern` (a regex) shows in the output; False if the run ended first."""
        compiled = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if compiled.search(self.output()):
                return True
            if self.process.poll() is not None:
                return bool(compiled.search(self.output()))
            time.sleep(poll)
        raise TimeoutError(f"no {pattern!r} within {timeout} s")

    def _kill_group(self) -> None:
        """SIGKILL to every process of the group, and wait until none is left alive.

        A killed process releases its file locks only once the kernel has torn it
        down; the next run (or a read of the warehouse) must not race it.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while _alive_in_group(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def wait_for_file(self, pattern: str, timeout: float = RUN_TIMEOUT) -> None:
        """Until a file matching `pattern` (a glob under the home) exists, e.g. a partial copy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(self.home.glob(pattern)):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the run ended before {pattern} appeared")
            time.sleep(0.02)
        raise TimeoutError(f"no {pattern} within {timeout} s")

    def children(self) -> set[int]:
        """The pids of this process's children (a worker's: the runs forked from it)."""
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def no_children_but(self, kept: set[int], within: float) -> bool:
        """True once no child is left but `kept` (a worker's own helpers, such as
        multiprocessing's resource tracker); False if one still is after `within` s."""
        deadline = time.monotonic() + within
        while self.children() - kept:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def kill(self) -> int | None:
        """kill -9 of the whole process group; the exit code if it had already ended."""
        ended = self.process.poll()
        self._kill_group()
        self.process.wait()
        self._log_file.close()
        return ended

    def wait(self, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            # Children left behind by a process that exited (none expected) go too.
            self._kill_group()
            self._log_file.close()
        return subprocess.CompletedProcess(self.process.args, self.process.returncode,
                                           self.output(), "")


def _alive_in_group(pgid: int) -> bool:
    """Any process of the group with a thread still running.

    A killed process's leader turns zombie while its other threads (DuckDB's)
    may still be exiting, and the process's file locks go only with the last.
    """
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            tasks = list((stat.parent / "task").glob("*/stat"))
            if any(t.read_text().rsplit(")", 1)[1].split()[0] not in "ZX" for t in tasks):
                return True
        except (OSError, IndexError):
            continue
    return False


# --- test data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exports:
    """A generated network (the first exports) and a later correction file."""

    first: Path
    correction: Path

    def files(self) -> list[Path]:
        return sorted(self.first.iterdir())

    def fill(self, inbox: Path, *, correction: bool = True) -> Path:
        inbox.mkdir(parents=True, exist_ok=True)
        for path in self.files():
            shutil.copy2(path, inbox / path.name)
        if correction:
            shutil.copy2(self.correction, inbox / self.correction.name)
        return inbox


def make_exports(folder: Path, patients: int = 150, sites: int = 3, seed: int = 5) -> Exports:
    first = folder / "first"
    generate_network(first, patients=patients, sites=sites, seed=seed, progress=False)
    correction = folder / "later" / "sessions_KC-01_2026-11-20.csv"
    correction.parent.mkdir(parents=True)
    correction.write_text(cancelled_sessions(first, site="KC-01", n=8))
    return Exports(first, correction)


def cancelled_sessions(first: Path, site: str, n: int) -> str:
    """A clinic's correction: n completed sessions re-sent at version 3 as CANCELLED.

    Only sessions no other file re-sends are picked, so that the correction
    means the same whether it is loaded with the first exports or after them:
    the crash tests compare a run over both with runs that load them apart.
    """
    rows_by_file = {}
    for path in sorted(first.glob("sessions_*.csv")):
        rows_by_file[path.name] = list(csv.DictReader(io.StringIO(path.read_text())))
    seen: dict[str, int] = {}
    for rows in rows_by_file.values():
        for row in rows:
            seen[row["session_id"]] = seen.get(row["session_id"], 0) + 1
    first_file = sorted(name for name in rows_by_file if f"_{site}_" in name)[0]
    picked = [row for row in rows_by_file[first_file]
              if row["status"] == "COMPLETED" and seen[row["session_id"]] == 1
              and row.get("record_version", "1") in ("", "1")][:n]
    assert len(picked) == n, "the generated network has too few sessions to correct"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(picked[0]), lineterminator="\n")
    writer.writeheader()
    for row in picked:
        writer.writerow({**row, "record_version": "3", "status": "CANCELLED"})
    return out.getvalue()


# --- what a home holds -----------------------------------------------------------------------


def _normalised(value):
    # Aggregates over doubles may differ in the last bit with the order of a parallel scan.
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return sorted((tuple(_normalised(v) for v in row) for row in con.execute(sql).fetchall()),
                  key=repr)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = "
        "current_database() and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table]).fetchall()]


def tables_in(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = "
        "current_database() and table_schema = ? order by 1", [schema]).fetchall()]


def open_read_only(database: Path, patience: float = 30) -> duckdb.DuckDBPyConnection:
    """A read-only connection, once no process holds the file for writing.

    Right after a kill -9 the kernel may still be tearing the killed process
    down, and its lock goes last; a run left holding it longer is a failure.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            return duckdb.connect(str(database), read_only=True)
        except duckdb.IOException as e:
            if "lock" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def content(database: Path) -> dict[str, list[tuple]]:
    """What a user would compare: manifest, quarantine, raw rows and every mart.

    Run ids, load ids and load and build times are left out: they say when, not what.
    """
    con = open_read_only(database)
    try:
        held = {"ops.ingest_manifest": _rows(
            con, f"select {MANIFEST_CONTENT} from ops.ingest_manifest")}
        held["ops.quarantine"] = _rows(
            con, "select * exclude (quarantined_at) from ops.quarantine")
        for table in tables_in(con, "raw"):
            held[f"raw.{table}"] = _rows(
                con, f"select * exclude (_load_id, _loaded_at) from raw.{table}")
        return held | _marts(con)
    finally:
        con.close()


# The marts a published snapshot holds: those the dashboards read.
PUBLISHED_MARTS = frozenset(t for t in tables_read() if t.startswith("marts."))


def marts_content(database: Path, only: frozenset[str] | None = None) -> dict[str, list[tuple]]:
    """Every mart a warehouse or a published snapshot holds (those named in `only`, if
    given, with the columns a snapshot holds of them), as content() compares them."""
    con = open_read_only(database)
    try:
        return _marts(con, only)
    finally:
        con.close()


def _marts(con: duckdb.DuckDBPyConnection,
           only: frozenset[str] | None = None) -> dict[str, list[tuple]]:
    held = {}
    for table in tables_in(con, "marts"):
        if only is not None and f"marts.{table}" not in only:
            continue
        columns = [c for c in _columns(con, "marts", table) if c not in _WHEN_COLUMNS]
        if only is not None:  # as a snapshot holds them
            columns = published_columns(f"marts.{table}", columns)
        held[f"marts.{table}"] = _rows(con, f"select {', '.join(columns)} from marts.{table}")
    return held


def differences(expected: dict[str, list[tuple]], actual: dict[str, list[tuple]]) -> list[str]:
    """Readable differences, table by table; empty when the content is identical."""
    found = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want == got:
            continue
        if want is None or got is None:
            found.append(f"{table}: {'missing' if got is None else 'unexpected'}")
            continue
        missing = [r for r in want if r not in set(got)][:3]
        extra = [r for r in got if r not in set(want)][:3]
        found.append(f"{table}: {len(want)} rows expected, {len(got)} found; "
                     f"missing e.g. {missing}; unexpected e.g. {extra}")
    return found


def half_loaded_files(warehouse: Path) -> list[str]:
    """Files the manifest calls LOADED whose rows are not all there (or rows with no file)."""
    con = open_read_only(warehouse)
    try:
        problems = [f"{name}: read {r} != loaded {lo} + quarantined {q}" for name, r, lo, q in
                    con.execute("select file_name, rows_read, rows_loaded, rows_quarantined "
                                "from ops.ingest_manifest "
                                "where rows_read <> rows_loaded + rows_quarantined").fetchall()]
        problems += [f"{name}: recorded more than once" for (name,) in con.execute(
            "select file_name from ops.ingest_manifest group by file_sha256, file_name "
            "having count(*) > 1").fetchall()]
        for table in tables_in(con, "raw"):
            problems += [
                f"{name}: {stored} rows in raw.{table}, manifest says {expected}"
                for name, stored, expected in con.execute(f"""
                    select coalesce(m.file_name, r._file_sha256),
                           coalesce(r.n, 0), coalesce(m.rows_loaded - m.rows_unchanged, 0)
                    from (select _file_sha256, count(*) as n from raw.{table} group by 1) as r
                    full join (select * from ops.ingest_manifest
                               where status = 'LOADED' and entity = '{table}') as m
                        on m.file_sha256 = r._file_sha256
                    where coalesce(r.n, 0) <> coalesce(m.rows_loaded - m.rows_unchanged, 0)
                """).fetchall()]
        problems += [
            f"{name}: {stored} quarantine rows, manifest says {expected}"
            for name, stored, expected in con.execute("""
                select coalesce(m.file_name, q.file_sha256), coalesce(q.n, 0),
                       coalesce(m.rows_quarantined, 0)
                from (select file_sha256, count(*) as n from ops.quarantine group by 1) as q
                full join (select * from ops.ingest_manifest where status = 'LOADED') as m
                    using (file_sha256)
                where coalesce(q.n, 0) <> coalesce(m.rows_quarantined, 0)
            """).fetchall()]
        return problems
    finally:
        con.close()


def snapshot_path(home: Path) -> Path:
    return home / "snapshot" / "dashboard.duckdb"


def snapshot_version(home: Path) -> str | None:
    snapshot = snapshot_path(home)
    if not snapshot.exists():
        return None
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute("select version from main.snapshot_info").fetchone()[0]
    finally:
        con.close()


def copy_home(source: Path, target: Path) -> Path:
    """A second home holding what `source` holds (its own Dagster instance included)."""
    shutil.copytree(source, target, symlinks=True,
                    ignore=shutil.ignore_patterns("ketreg-*.log", "run.lock"))
    return target


# Where a run was, by the last of these its output shows, in run order.
PHASES = (
    ("ingest", r"file\(s\) in "),
    ("dbt build", r"Running dbt command"),
    ("checks", r"Finished dbt command"),
    ("after the snapshot swap", r"published \S+ \(version "),
)


def phase_reached(output: str) -> str:
    reached = "start-up"
    for phase, marker in PHASES:
        if re.search(marker, output):
            reached = phase
    return reached
