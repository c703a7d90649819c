"""`make bench`: the registry's cost at each network tier, beside DuckDB's floor.

    python -m bench.run [--tiers S,M,L] [--out bench/out]

For each tier: generate the network; load it with DuckDB alone (the floor);
run the ingest step alone; start `ketreg worker`, as a deployment does; run the
whole job cold (empty warehouse to a published snapshot); add one more day's
export (about 0.2% of the network) and run again (incremental), three days in
turn, the median reported; then three follow-up days, each new sessions of 2%
of the patients held (bench/follow_up_day.py), the median reported; then a day
without the worker, in the run's own process; time each dashboard page. Every
figure of one tier is measured in the same run as its floor, so ratios hold on
a noisy, shared machine where absolute seconds do not. Results go to
bench/out/results.json and docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import psutil
from tqdm import tqdm

from bench.floor import load_floor
from bench.follow_up_day import write_follow_up_day
from bench.measure import Measured, run_command, timed
from bench.report import write_report
from orchestration.synthetic import generate_network

TIERS = {"S": 500, "M": 10_000, "L": 100_000, "XL": 500_000}
SEED = 2026
# The incremental run is short enough for a shared machine's noise to swing it by a tenth:
# three days, one after the other, and the median is reported.
INCREMENTAL_DAYS = 3
# A follow-up day's returning patients, one session each: ~0.2% of the network's sessions
# (about ten a patient), as the new-patient day brings, but ten times its patients.
FOLLOW_UP_SHARE = 0.02
PYTHON = sys.executable


@dataclass
class TierResult:
    tier: str
    patients: int
    rows: int
    inbox_mb: float
    generate_s: float
    floor_s: float
    ingest_s: float
    cold_s: float
    cold_peak_mb: float
    incremental_patients: int
    incremental_s: float  # the median day
    incremental_days_s: list[float]
    incremental_peak_mb: float
    incremental_own_process_s: float  # a day without the worker
    follow_up_patients: int
    follow_up_s: float  # the median follow-up day
    follow_up_days_s: list[float]
    pages: dict[str, dict[str, float]]


def _ketreg(home: Path, log: Path, *args: str, beside: psutil.Process | None = None):
    return run_command([PYTHON, "-m", "orchestration.cli", *args],
                       env={"KETREG_HOME": str(home), "KETREG_WAREHOUSE": ""}, log=log,
                       beside=beside)


@contextmanager
def _worker(home: Path, log: Path) -> Iterator[psutil.Process]:
    """`ketreg worker` for this home, once it serves; its start-up is not a run's."""
    home.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([PYTHON, "-m", "orchestration.cli", "worker"],
                                   env={**os.environ, "KETREG_HOME": str(home),
                                        "KETREG_WAREHOUSE": ""},
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            while "serving" not in log.read_text():
                if process.poll() is not None:
                    raise SystemExit(f"ketreg worker did not start; see {log}")
                time.sleep(0.2)
            yield psutil.Process(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def _add_day(work: Path, inbox: Path, day: int, patients: int) -> None:
    generate_network(work / f"day-{day}", patients=patients, seed=SEED + day, progress=False)
    # The day's files keep their entity prefix; the suffix keeps their names apart.
    for path in (work / f"day-{day}").iterdir():
        shutil.copy2(path, inbox / f"{path.stem}_day-{day}{path.suffix}")


def _page_times(home: Path) -> dict[str, dict[str, float]]:
    try:
        from bench.dashboards import measure_pages
    except ImportError:
        return {}
    return measure_pages(home / "snapshot" / "dashboard.duckdb")


def run_tier(tier: str, out: Path, progress: tqdm) -> TierResult:
    patients = TIERS[tier]
    work = out / tier
    shutil.rmtree(work, ignore_errors=True)
    inbox, home = work / "inbox", work / "home"

    progress.set_postfix_str(f"{tier}: generating")
    generate_s, summary = timed(generate_network, inbox, patients=patients, seed=SEED,
                                progress=False)
    rows = sum(summary.rows.values())
    inbox_mb = sum(p.stat().st_size for p in inbox.iterdir()) / 1e6

    progress.set_postfix_str(f"{tier}: DuckDB floor")
    floor_s, _ = timed(load_floor, inbox, work / "floor.duckdb")
    (work / "floor.duckdb").unlink(missing_ok=True)

    progress.set_postfix_str(f"{tier}: ingest step")
    ingest = run_command([PYTHON, "-m", "bench.ingest_step", str(inbox)],
                         env={"KETREG_HOME": str(work / "ingest-home"), "KETREG_WAREHOUSE": ""},
                         log=work / "ingest.log")
    shutil.rmtree(work / "ingest-home", ignore_errors=True)

    day_patients = max(1, round(patients * 0.002))
    days = []
    with _worker(home, work / "worker.log") as worker:
        progress.set_postfix_str(f"{tier}: cold run")
        cold = _ketreg(home, work / "cold.log", "run", "--inbox", str(inbox), beside=worker)
        for day in range(1, INCREMENTAL_DAYS + 1):
            progress.set_postfix_str(f"{tier}: incremental run {day}/{INCREMENTAL_DAYS}")
            _add_day(work, inbox, day, day_patients)
            days.append(_ketreg(home, work / f"incremental-{day}.log", "run", "--inbox",
                                str(inbox), beside=worker))
        follow_up_patients = max(1, round(patients * FOLLOW_UP_SHARE))
        follow_ups = []
        for day in range(1, INCREMENTAL_DAYS + 1):
            progress.set_postfix_str(f"{tier}: follow-up day {day}/{INCREMENTAL_DAYS}")
            write_follow_up_day(home / "warehouse.duckdb", inbox, day, follow_up_patients)
            follow_ups.append(_ketreg(home, work / f"follow-up-{day}.log", "run", "--inbox",
                                      str(inbox), beside=worker))
    incremental = _median(days)
    progress.set_postfix_str(f"{tier}: incremental run, in its own process")
    own_day = INCREMENTAL_DAYS + 1
    _add_day(work, inbox, own_day, day_patients)
    own_process = _ketreg(home, work / f"incremental-{own_day}.log", "run", "--inbox",
                          str(inbox))

    progress.set_postfix_str(f"{tier}: dashboard pages")
    pages = _page_times(home)
    steps = [("ingest", ingest), ("cold", cold)]
    steps += [(f"incremental-{day}", m)
              for day, m in enumerate([*days, own_process], start=1)]
    steps += [(f"follow-up-{day}", m) for day, m in enumerate(follow_ups, start=1)]
    for step, measured in steps:
        if measured.returncode != 0:
            raise SystemExit(f"tier {tier}: the {step} run failed; see {work}/{step}.log")
    return TierResult(
        tier=tier, patients=patients, rows=rows, inbox_mb=round(inbox_mb, 1),
        generate_s=round(generate_s, 2), floor_s=round(floor_s, 2),
        ingest_s=round(ingest.seconds, 2), cold_s=round(cold.seconds, 2),
        cold_peak_mb=round(cold.peak_bytes / 1e6), incremental_patients=day_patients,
        incremental_s=round(incremental.seconds, 2),
        incremental_days_s=[round(m.seconds, 2) for m in days],
        incremental_peak_mb=round(max(m.peak_bytes for m in days) / 1e6),
        incremental_own_process_s=round(own_process.seconds, 2),
        follow_up_patients=follow_up_patients, follow_up_s=round(_median(follow_ups).seconds, 2),
        follow_up_days_s=[round(m.seconds, 2) for m in follow_ups], pages=pages,
    )


def _median(days: list[Measured]) -> Measured:
    return sorted(days, key=lambda m: m.seconds)[len(days) // 2]


def machine() -> dict[str, str]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": str(os.cpu_count()),
        "memory_gb": f"{psutil.virtual_memory().total / 2**30:.0f}",
        "python": platform.python_version(),
        "os": platform.platform(),
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="S,M,L")
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--report", default="docs/performance.md")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else {}
    tiers = [t.strip().upper() for t in args.tiers.split(",") if t.strip()]
    results = dict(previous.get("tiers", {}))
    with tqdm(tiers, desc="make bench", unit="tier", file=sys.stderr) as progress:
        for tier in progress:
            results[tier] = {**asdict(run_tier(tier, out, progress)),
                             "measured_at": machine()["date"]}
            results_path.write_text(json.dumps({"machine": machine(), "tiers": results},
                                               indent=2))
    write_report(json.loads(results_path.read_text()), Path(args.report))
    print(f"Results: {results_path}\nReport: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
