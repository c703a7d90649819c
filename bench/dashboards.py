"""Server-side render time of each dashboard page, p50 and p95 over N runs, as a markdown table.

    .venv/bin/python -m bench.dashboards                     # KETREG_HOME's published snapshot
    .venv/bin/python -m bench.dashboards --snapshot FILE     # any published snapshot
    .venv/bin/python -m bench.dashboards --synthetic-patients 100000   # a generated one

Run it as a module from the repository root (`python bench/dashboards.py`
would import this file as the `dashboards` package). Each page is rendered
with Streamlit's AppTest, in this process, the way the server renders it for
a browser, charts and tables included; the time is the script run, not the
browser's drawing.

Cold: the first view after a new snapshot was published (every cache cleared:
the snapshot is opened again and every query runs). Warm: the same page again
for another user (queries served from the cache of this snapshot version).
The target is a cold p95 under 1 s at 100,000 patients.

--synthetic-patients builds the snapshot with the test suite's generator
(tests/dashboards/synthetic_network.py), the same marts with plausible data,
for a quick look at a size the pipeline has not been run at.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from dashboards import navigation
from orchestration import settings as ketreg_settings

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
RUN_TIMEOUT = 300


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--snapshot", type=Path,
                        help="a published dashboard snapshot (default: KETREG_HOME's)")
    source.add_argument("--synthetic-patients", type=int,
                        help="generate a snapshot of this many patients first")
    parser.add_argument("--runs", type=int, default=20, help="renders per page and mode")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def prepare_home(args: argparse.Namespace, scratch: Path) -> Path:
    """A KETREG_HOME whose snapshot is the one to measure."""
    if args.synthetic_patients:
        from tests.dashboards.fixture_snapshot import publish
        from tests.dashboards.synthetic_network import synthetic_network

        started = time.perf_counter()
        publish(synthetic_network(args.synthetic_patients, seed=args.seed), scratch)
        print(f"generated and published {args.synthetic_patients:,} patients in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        return scratch
    snapshot = args.snapshot or ketreg_settings.load().snapshot
    if not snapshot.exists():
        sys.exit(f"no snapshot at {snapshot}: run `ketreg run --inbox DIR` first, or pass "
                 "--snapshot FILE or --synthetic-patients N")
    (scratch / "snapshot").mkdir()
    (scratch / "snapshot" / "dashboard.duckdb").symlink_to(snapshot.resolve())
    return scratch


def render_seconds(page: navigation.PageSpec, cold: bool) -> float:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.run()
    if cold:
        st.cache_data.clear()
        st.cache_resource.clear()
    started = time.perf_counter()
    app.switch_page(page.path).run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{page.name}: {app.exception[0].value}")
    return elapsed


def describe(home: Path) -> str:
    path = home / "snapshot" / "dashboard.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        version = con.execute("select version from main.snapshot_info").fetchone()[0]
        courses, patients = con.execute(
            "select count(*), count(distinct patient_key) from marts.course_outcomes "
            "where is_primary").fetchone()
    finally:
        con.close()
    return (f"Snapshot {version}: {patients:,} patients with a course, {courses:,} courses "
            f"({path.resolve().stat().st_size / 1e6:.0f} MB). {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}.")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _render_all(home: Path, runs: int) -> list[tuple[str, list[float], list[float]]]:
    os.environ["KETREG_HOME"] = str(home)
    os.environ.pop("KETREG_SHOW_SMALL_CELLS", None)
    # The network view with sign-in off: the largest tables, the most suppression work.
    os.environ["KETREG_AUTH"] = "none"
    rows = []
    for page in navigation.PAGES:
        cold = [render_seconds(page, cold=True) for _ in range(runs)]
        warm = [render_seconds(page, cold=False) for _ in range(runs)]
        rows.append((page.title, cold, warm))
        print(f"{page.title}: cold median {statistics.median(cold):.3f} s", file=sys.stderr)
    return rows


def measure_pages(snapshot: Path, runs: int = 5) -> dict[str, dict[str, float]]:
    """Cold render time of each page on `snapshot`, p50 and p95 in seconds (bench/run.py)."""
    with tempfile.TemporaryDirectory(prefix="bench-dashboards-") as scratch:
        home = prepare_home(argparse.Namespace(synthetic_patients=None, snapshot=snapshot),
                            Path(scratch))
        rows = _render_all(home, runs)
    return {title: {"p50": percentile(cold, 50), "p95": percentile(cold, 95)}
            for title, cold, _ in rows}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dashboards-") as scratch:
        home = prepare_home(args, Path(scratch))
        header = describe(home)
        rows = _render_all(home, args.runs)
    print(header)
    print(f"Server-side render time per page (AppTest), {args.runs} runs each.\n")
    print("| page | cold p50 (ms) | cold p95 (ms) | warm p50 (ms) | warm p95 (ms) |")
    print("|---|---:|---:|---:|---:|")
    for title, cold, warm in rows:
        print(f"| {title} | {percentile(cold, 50) * 1000:.0f} | {percentile(cold, 95) * 1000:.0f} "
              f"| {percentile(warm, 50) * 1000:.0f} | {percentile(warm, 95) * 1000:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
