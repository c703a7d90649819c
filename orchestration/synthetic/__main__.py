"""Manual runs: `python -m orchestration.synthetic --out DIR --patients N [...]`."""

import argparse
import time
from pathlib import Path

from . import generate_network


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestration.synthetic")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()
    started = time.perf_counter()
    summary = generate_network(args.out, args.patients, args.sites, args.seed, args.format)
    print(f"{len(summary.files)} files in {time.perf_counter() - started:.1f} s")
    for entity, rows in summary.rows.items():
        print(f"  {entity}: {rows:,} rows")
    for kind, count in summary.faults.items():
        print(f"  {kind}: {count}")


if __name__ == "__main__":
    main()
