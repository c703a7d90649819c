"""atheris entry point: fuzz bytes become one inbox file, judged by hostile.ingest_one.

    python -m tests.reliability.atheris_target -runs=N [libFuzzer options] [corpus]

The first byte picks the file's name (entity and format), the rest is its
content. Any exception, a broken balance or a hang is a crash to libFuzzer.
"""

from __future__ import annotations

import logging
import sys

import atheris

with atheris.instrument_imports():
    from tests.reliability.hostile import ingest_one

NAMES = ("sessions_F.csv", "assessments_F.csv", "patients_F.csv", "adverse_events_F.csv",
         "sessions_F.parquet", "other_F.csv")


def one_input(data: bytes) -> None:
    if not data:
        return
    ingest_one(NAMES[data[0] % len(NAMES)], data[1:])


if __name__ == "__main__":
    # Every rejection logs a warning; tens of thousands of them would bury libFuzzer's report.
    logging.disable(logging.WARNING)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
