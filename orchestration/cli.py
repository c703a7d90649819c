"""`ketreg`: the registry's one command (spec/interface.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from orchestration.worker import (
    DELEGATED_COMMANDS,
    NO_WORKER,
    WorkerUnavailable,
    run_on_worker,
    socket_path,
)


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


def _rebuild(args: argparse.Namespace) -> int:
    from orchestration.rebuild import rebuild
    from orchestration.run import RunInProgress

    if args.warehouse:
        os.environ["KETREG_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    try:
        report = rebuild()
    except RunInProgress as e:
        print(f"ketreg rebuild: {e}", file=sys.stderr)
        return 3
    print("\n".join(report.lines()))
    if not report.success:
        return 1
    # Rebuilt, but not everything that was recorded could be: the report lists what.
    return 2 if report.unrecoverable or report.status_changed else 0


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
    # A local single-user demo: no sign-in, unless the environment asks for it.
    if "KETREG_AUTH" not in os.environ:
        os.environ["KETREG_AUTH"] = "none"
        print("KETREG_AUTH=none: sign-in is off for this local demo (every page says so).")
    return _dashboard(argparse.Namespace(port=args.port))


def _dashboard(args: argparse.Namespace) -> int:
    from dashboards.serve import DEFAULT_PORT, serve

    print(f"Serving the dashboards on http://127.0.0.1:{args.port or DEFAULT_PORT} "
          "(Ctrl-C to stop)")
    return serve(args.port)


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli"


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("no password on standard input")
        return password
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("the passwords differ")
    return first


def _users(args: argparse.Namespace) -> int:
    from dashboards.access import settings as auth_settings
    from dashboards.access.audit import AuditLog
    from dashboards.access.roles import Role, RoleError
    from dashboards.access.users import UserError, UserStore

    settings = auth_settings.load()
    store = UserStore(settings.users_file)
    audit = AuditLog(settings.audit_dir)
    try:
        if args.action == "list":
            users = store.load()
            if not users:
                print(f"No users in {store.path}.")
            for user in users.values():
                kind = "oidc" if user.oidc else "password"
                print(f"{user.name:<40} {kind:<9} {user.role}")
            return 0
        if args.action == "add":
            role = Role.parse(args.role)
            password = None if args.oidc else _read_password(args)
            user = store.add(args.name, role, password=password, oidc=args.oidc)
            audit.append("user_added", _cli_actor(), user=user.name, role=str(user.role),
                         method="oidc" if user.oidc else "password")
            print(f"Added {user.name} ({user.role}) to {store.path}.")
        elif args.action == "remove":
            user = store.remove(args.name)
            audit.append("user_removed", _cli_actor(), user=user.name, role=str(user.role))
            print(f"Removed {user.name}.")
        elif args.action == "set-role":
            before = store.get(args.name)
            user = store.set_role(args.name, Role.parse(args.role))
            audit.append("role_changed", _cli_actor(), user=user.name,
                         role_before=str(before.role) if before else None, role=str(user.role))
            print(f"{user.name} now has the role {user.role}.")
    except (RoleError, UserError, ValueError) as error:
        print(f"ketreg users {args.action}: {error}", file=sys.stderr)
        return 2
    return 0


def _audit(args: argparse.Namespace) -> int:
    from dashboards.access import settings as auth_settings
    from dashboards.access.audit import verify

    result = verify(auth_settings.load().audit_dir)
    print(result.describe(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


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

    rebuild = commands.add_parser(
        "rebuild", help="rebuild the warehouse from the archived export files and the manifest")
    rebuild.add_argument("--warehouse",
                         help="warehouse file (default: KETREG_HOME/warehouse.duckdb)")
    rebuild.set_defaults(func=_rebuild)

    demo = commands.add_parser("demo", help="generate a sample network, run, and serve")
    demo.add_argument("--patients", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--port", type=int)
    demo.set_defaults(func=_demo)

    users = commands.add_parser("users", help="manage the dashboard's users and their roles")
    user_actions = users.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("add", help="add a user (asks for the password twice)")
    add.add_argument("name", help="user name, or the e-mail address for --oidc")
    add.add_argument("--role", required=True, action="append",
                     help="network, or site:<ID> (repeat, or comma-separate, for several sites)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.add_argument("--oidc", action="store_true",
                     help="signs in through OpenID Connect ([auth] in secrets): no password")
    remove = user_actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    user_actions.add_parser("list", help="list the users and their roles")
    set_role = user_actions.add_parser("set-role", help="change a user's role")
    set_role.add_argument("name")
    set_role.add_argument("--role", required=True, action="append")
    users.set_defaults(func=_users)

    audit = commands.add_parser("audit", help="the dashboard's audit log")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    audit_actions.add_parser("verify", help="check the hash chain: exit 1 naming the first "
                                            "bad line")
    audit.set_defaults(func=_audit)

    worker = commands.add_parser(
        "worker", help="keep the pipeline imported and run each `ketreg run` and "
                       "`ketreg rebuild` of this KETREG_HOME from it (~6 s less a run)")
    worker.set_defaults(func=_worker)
    return parser


def _worker(_args: argparse.Namespace) -> int:
    from orchestration import settings as ketreg_settings
    from orchestration.worker import serve

    return serve(ketreg_settings.load().home)


def main(argv: list[str] | None = None, *, delegate: bool = True) -> int:
    """`delegate`: hand `run` and `rebuild` to the home's worker when one is serving."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if delegate and args.command in DELEGATED_COMMANDS:
        from orchestration import settings as ketreg_settings

        try:
            return run_on_worker(socket_path(ketreg_settings.load().home), "ketreg", argv)
        except WorkerUnavailable as why:
            if str(why) != NO_WORKER:
                print(f"ketreg: {why}; running in this process", file=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
