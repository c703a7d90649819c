"""`ketreg`: the registry's one command (spec/interface.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def _generate(args: argparse.Namespace) -> int:
    from orchestration.synthetic import generate_network

    summary = generate_network(
        Path(args.out), patients=args.patients, sites=args.sites, seed=args.seed,
        fmt=args.format, progress=not args.quiet,
    )
    print(f"Wrote {len(summary.files)} files to {summary.out_dir}")
    for entity, n in summary.rows.items():
        print(f"  {entity:<15} {n:>12,} rows")
    print("Deliberate faults, for the quarantine and the manifest to show:")
    for kind, records in summary.fault_records.items():
        print(f"  {kind:<24} {len(records):>6}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from orchestration import settings as ketreg_settings
    from orchestration.run import RunInProgress, run_job, summary

    warehouse = Path(args.warehouse) if args.warehouse else None
    try:
        outcome = run_job(Path(args.inbox), warehouse)
    except RunInProgress as e:
        print(f"ketreg run: {e}", file=sys.stderr)
        return 3
    print(summary(ketreg_settings.load().warehouse, outcome.run_id))
    if not outcome.success:
        print(f"\nThe run failed, and the previously published snapshot stays as it was:\n"
              f"  {outcome.failure}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from orchestration import settings as ketreg_settings

    settings = ketreg_settings.load()
    inbox = settings.home / "demo-inbox"
    if not any(inbox.glob("*")):
        rc = _generate(argparse.Namespace(out=str(inbox), patients=args.patients, sites=6,
                                          seed=args.seed, format="csv", quiet=False))
        if rc:
            return rc
    rc = _run(argparse.Namespace(inbox=str(inbox), warehouse=None))
    if rc:
        return rc
    if os.environ.get("KETREG_DEMO_NO_SERVE") == "1":
        print("KETREG_DEMO_NO_SERVE=1: not serving the dashboards.")
        return 0
    return _dashboard(argparse.Namespace(port=args.port))


def _dashboard(args: argparse.Namespace) -> int:
    from dashboards.serve import DEFAULT_PORT, serve

    print(f"Serving the dashboards on http://127.0.0.1:{args.port or DEFAULT_PORT} "
          "(Ctrl-C to stop)")
    return serve(args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketreg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write realistic synthetic exports")
    generate.add_argument("--out", required=True, help="folder to write the export files into")
    generate.add_argument("--patients", type=int, required=True)
    generate.add_argument("--sites", type=int, default=6)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--format", choices=["csv", "parquet"], default="csv")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(func=_generate)

    run = commands.add_parser("run", help="ingest new exports, build and check the models")
    run.add_argument("--inbox", required=True, help="folder the clinics' exports arrive in")
    run.add_argument("--warehouse", help="warehouse file (default: KETREG_HOME/warehouse.duckdb)")
    run.set_defaults(func=_run)

    dashboard = commands.add_parser("dashboard", help="serve the dashboards from the snapshot")
    dashboard.add_argument("--port", type=int)
    dashboard.set_defaults(func=_dashboard)

    demo = commands.add_parser("demo", help="generate a sample network, run, and serve")
    demo.add_argument("--patients", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--port", type=int)
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
