"""Dashboard-like sessions that read the published snapshot while runs swap it.

    python -m tests.reliability.snapshot_sessions SNAPSHOT OUT.json SESSIONS SECONDS READS [URL]

Each session (a thread; DuckDB releases the GIL while it reads) repeats what a
page view does: open the snapshot read-only the dashboards' way
(dashboards.data.open_snapshot), read its version, count the tables the pages
show, run the pages' queries (dashboards.queries), read the version again, and
close. With URL, each view also asks the Streamlit server for its health and
its page. The sessions stop when OUT.json.stop appears, and in any case after
READS views each or SECONDS; OUT.json.ready appears once every session has
done its first view. The views and every error go to OUT.json.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import sys
import threading
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# The tables whose row counts tell two snapshots apart, read in the same connection.
COUNTED = ("marts.course_outcomes", "marts.side_effect_rates", "marts.safety_flags",
           "ops.ingest_manifest")
# Arguments a page passes, for the queries that take only these.
PAGE_ARGUMENTS = {"sites": None, "days": 30, "limit": 20, "start": None, "end": None}


def _open(path: str):
    try:
        from dashboards.data import open_snapshot
    except ImportError:  # the dashboards not built yet: open it as they are specified to
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute(f"attach '{path}' as snapshot (read_only)")
        con.execute("use snapshot")
        return con
    return open_snapshot(path)


def _page_queries() -> list:
    try:
        from dashboards import queries
    except ImportError:
        return []
    runnable = []
    for query in queries.QUERIES.values():
        params = list(inspect.signature(query.run).parameters)[1:]
        if all(p in PAGE_ARGUMENTS for p in params):
            runnable.append((query, {p: PAGE_ARGUMENTS[p] for p in params}))
    return runnable


def one_view(path: str, queries: list) -> dict:
    con = _open(path)
    try:
        (version,) = con.execute("select version from main.snapshot_info").fetchone()
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in COUNTED}
        for query, arguments in queries:
            cursor = con.cursor()
            try:
                cursor.execute("use snapshot")
                query.run(cursor, **arguments)
            finally:
                cursor.close()
        (version_after,) = con.execute("select version from main.snapshot_info").fetchone()
    finally:
        con.close()
    return {"version": version, "version_after": version_after, "counts": counts}


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status


def _arrive(barrier: threading.Barrier, timeout: float) -> None:
    # A session that ended early breaks the barrier: readiness is only a hint to the test.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=timeout)


def session(path: str, seconds: float, reads: int, url: str | None, queries: list,
            out: dict, lock: threading.Lock, started: threading.Barrier, stop: Path) -> None:
    deadline = time.monotonic() + seconds
    for n in range(reads):
        if time.monotonic() > deadline or stop.exists():
            break
        if n == 1:
            _arrive(started, seconds)
        try:
            if url:
                health = _get(url + "/_stcore/health")
                page = _get(url + "/")
                with lock:
                    out["http"].append([health, page])
            view = one_view(path, queries)
            with lock:
                out["views"].append(view)
        except Exception:
            with lock:
                out["errors"].append(traceback.format_exc(limit=3))


def main(path: str, out_file: str, sessions: int, seconds: float, reads: int,
         url: str | None) -> None:
    queries = _page_queries()
    out = {"views": [], "errors": [], "http": [], "queries_per_view": len(queries)}
    lock = threading.Lock()
    ready, stop = Path(out_file + ".ready"), Path(out_file + ".stop")
    # The last session to finish its first view says the sessions are all reading.
    started = threading.Barrier(sessions + 1)
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for _ in range(sessions):
            pool.submit(session, path, seconds, reads, url, queries, out, lock, started, stop)
        _arrive(started, seconds)
        ready.touch()
    Path(out_file).write_text(json.dumps(out))


if __name__ == "__main__":
    snapshot, out_file, sessions, seconds, reads, *url = sys.argv[1:]
    main(snapshot, out_file, int(sessions), float(seconds), int(reads), url[0] if url else None)
