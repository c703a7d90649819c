"""Measuring tools for the benchmarks: wall time, and peak memory of a process tree.

Memory is the proportional set size (PSS), summed over the tree: a page shared by n
processes counts 1/n in each. A run forked from `ketreg worker` shares the worker's
pages until it writes them; summing resident sizes (RSS) would count those twice.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_bytes: int  # PSS summed over the process tree
    returncode: int


def _tree_pss(root: psutil.Process) -> int:
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_full_info().pss
    return total


def run_command(args: list[str], env: dict[str, str] | None = None, log: Path | None = None,
                poll_seconds: float = 0.2, beside: psutil.Process | None = None) -> Measured:
    """Run a command to completion; peak memory (PSS) is summed over its whole process tree
    (dbt runs in a child of `ketreg run`), and over `beside`'s (the worker a run is forked
    from, its children), sampled every `poll_seconds`."""
    env = {**os.environ, **(env or {})}
    out = log.open("w") if log else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            peak = max(peak, _tree_pss(root) + (_tree_pss(beside) if beside else 0))
            done.wait(poll_seconds)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if log:
        out.close()
    return Measured(seconds=elapsed, peak_bytes=peak, returncode=returncode)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result
