"""`ketreg worker`: the pipeline imported once, a run forked from it on each request.

Every `ketreg run` pays ~6 s of imports (Great Expectations, dagster-dbt with dbt-core,
Dagster) before its first file is read: a fifth of a day's incremental run. A worker,
left running beside the dashboards, imports them once and forks a child for each
`ketreg run` or `ketreg rebuild`, for the dbt build such a run starts (`ketreg-dbt`),
and for each run the Dagster daemon launches (run_launcher.py). The child runs the
command exactly as the command line would, on the caller's own standard input, output
and error (passed over the socket), in its working directory and with its environment,
and the caller exits with the child's exit code.

The socket is KETREG_HOME/worker.sock, readable by its owner alone. Without a worker,
or with one whose code is older than the checkout (a `git pull`, a `uv sync`), the
command runs in its own process as before: the worker says it is stale and exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import signal
import socket
import sys
import traceback
from pathlib import Path

# What the command line hands to a worker (the rest stays in-process).
DELEGATED_COMMANDS = ("run", "rebuild")
# A run the Dagster daemon launched (orchestration/run_launcher.py), by its run id.
DAGSTER_RUN = "dagster-run"
# Set in the worker and in its children: the dbt a child's run starts (`ketreg-dbt`)
# is forked from the worker too, with dbt-core already imported (~2 s of each build).
SOCKET_ENV = "KETREG_WORKER_SOCKET"
# The code a child runs: a change to any of these files makes the worker stale.
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
WATCHED = (
    _PROJECT_ROOT / "orchestration",
    _PROJECT_ROOT / "expectations",
    _PROJECT_ROOT / "dbt_project",
    _PROJECT_ROOT / "pyproject.toml",
    _PROJECT_ROOT / "uv.lock",
)
# Written by dbt and Python as they run (dbt's .user.yml among the hidden files).
_NOT_CODE = {"target", "logs", "dbt_packages", "__pycache__"}


def socket_path(home: Path) -> Path:
    return home / "worker.sock"


# ---------------------------------------------------------------------------- caller


class WorkerUnavailable(Exception):
    """No live, current worker for this home: run the command in this process."""


NO_WORKER = "no worker"  # the usual case, not worth a word to the user


def run_on_worker(path: Path, program: str, argv: list[str]) -> int:
    """Run `<program> <argv>` (ketreg or dbt) on the worker at `path`; its exit code.
    Raises WorkerUnavailable before anything has run, so that the caller can run the
    command itself."""
    conn = _connect(path)
    with conn, conn.makefile("rb") as replies:
        child = _start(conn, replies, program, argv)
        # The run is the worker's child, not ours: an interrupt or a stop reaches it
        # only if passed on.
        forward = lambda signum, _frame: _kill(child, signum)  # noqa: E731
        previous = {s: signal.signal(s, forward)
                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            last = _reply(replies)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    if last is None:
        print(f"ketreg: the worker's process for this command (pid {child}) died "
              "before it finished", file=sys.stderr)
        return 1
    return last["exit"]


def start_on_worker(path: Path, program: str, argv: list[str]) -> int:
    """Start `<program> <argv>` on the worker at `path` and return its pid at once,
    leaving it to run on its own (a Dagster run the daemon launched)."""
    conn = _connect(path)
    with conn, conn.makefile("rb") as replies:
        return _start(conn, replies, program, argv)


def _start(conn: socket.socket, replies, program: str, argv: list[str]) -> int:
    request = {"program": program, "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    first = _reply(replies)
    if first is None or "refused" in first:
        raise WorkerUnavailable(first["refused"] if first else "the worker closed")
    return first["pid"]


def dbt_main() -> None:
    """`ketreg-dbt`, the dbt a worker's runs start: dbt forked from the worker, or,
    when it has gone, dbt itself."""
    argv = sys.argv[1:]
    with contextlib.suppress(WorkerUnavailable, KeyError):
        sys.exit(run_on_worker(Path(os.environ[SOCKET_ENV]), "dbt", argv))
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *argv])


def _connect(path: Path) -> socket.socket:
    if not path.exists():
        raise WorkerUnavailable(NO_WORKER)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError as error:  # a socket left by a worker that was killed
        conn.close()
        raise WorkerUnavailable(f"the worker does not answer ({error.strerror})") from None
    return conn


def _reply(replies) -> dict | None:
    line = replies.readline()
    return json.loads(line) if line else None


def _kill(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# ---------------------------------------------------------------------------- worker


def code_fingerprint(watched=WATCHED) -> tuple:
    """The size and modification time of every source file the children run."""
    seen = []
    for root in watched:
        paths = [root] if root.is_file() else sorted(
            p for p in root.rglob("*")
            if p.is_file() and not any(part in _NOT_CODE or part.startswith(".")
                                       for part in p.relative_to(root).parts))
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                seen.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(seen)


def serve(home: Path, watched=WATCHED) -> int:
    """Import the pipeline, then serve requests until stopped or stale."""
    home.mkdir(parents=True, exist_ok=True)
    path = socket_path(home)
    with contextlib.suppress(WorkerUnavailable):
        _connect(path).close()
        print(f"ketreg worker: a worker already serves {home}", file=sys.stderr)
        return 3
    fingerprint = code_fingerprint(watched)
    os.environ[SOCKET_ENV] = str(path)
    _import_pipeline()
    # What the imports made lives as long as the worker: out of the collector's full
    # passes, here and in every child. Each dbt build forked from the worker ran one
    # over the whole pipeline's objects (0.37 s of a day's build at 100,000 patients).
    gc.freeze()

    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is its owner's alone
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    bound = path.stat().st_ino
    listener.listen(8)
    # Children are not waited for: their callers are told their exit codes by them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    stop = lambda _signum, _frame: sys.exit(0)  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    print(f"ketreg worker: serving {home} on {path} (pid {os.getpid()})",
          file=sys.stderr, flush=True)
    try:
        while True:
            conn, _ = listener.accept()
            with conn:
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError) as error:
                    print(f"ketreg worker: a request it could not read "
                          f"({type(error).__name__})", file=sys.stderr, flush=True)
                    continue
                if request is None:  # a ping
                    continue
                try:
                    if code_fingerprint(watched) != fingerprint:
                        _send(conn, {"refused": "the worker's code is older than the "
                                                "checkout; it has stopped"})
                        print("ketreg worker: the code changed; stopping", file=sys.stderr)
                        return 0
                    try:
                        child = os.fork()
                    except OSError as error:
                        _send(conn, {"refused": f"the worker could not fork "
                                                f"({error.strerror})"})
                        continue
                    if child == 0:
                        listener.close()
                        _child(conn, request, fds)  # never returns
                    print(f"ketreg worker: {request['program']} "
                          f"{_command(request['argv'])} in pid {child}",
                          file=sys.stderr, flush=True)
                finally:
                    for fd in fds:
                        os.close(fd)
    finally:
        listener.close()
        # Unless a newer worker has taken the path over since.
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_ino == bound:
                path.unlink()


def _import_pipeline() -> None:
    # Everything a run imports, the dbt manifest it reads and dbt's parse of the project,
    # loaded before any fork.
    import dbt.cli.main  # noqa: F401

    import orchestration.definitions  # noqa: F401
    import orchestration.rebuild  # noqa: F401
    from orchestration import run, settings
    from orchestration.defs.transform import worker_parse

    # The first Dagster instance a process opens imports its storage (SQLAlchemy,
    # alembic: ~350 modules, ~0.6 s). Opened once here and closed before any fork: no
    # thread and no open file of it is left to a child.
    with run.dagster_instance(settings.load()):
        pass
    worker_parse.parse_for_builds(settings.load())


def _receive(conn: socket.socket) -> tuple[dict | None, list[int]]:
    """The request and the caller's stdin, stdout and stderr; (None, []) for a ping."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    try:
        while data and not data.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                break
            data += more
        request = json.loads(data) if data else None
        if request is not None and len(fds) != 3:
            raise ValueError("a request without its three streams")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, fds


def _execute_dagster_run(run_id: str) -> int:
    # What `dagster api execute_run` does in the process Dagster's default launcher starts.
    import dagster as dg
    from dagster._cli.api import _execute_run_command_body
    from dagster._utils.interrupts import capture_interrupts

    # An interrupt (a stop from Dagster, run_launcher.py) ends the run as cancelled.
    with capture_interrupts(), dg.DagsterInstance.get() as instance:
        return _execute_run_command_body(run_id, instance, lambda _event: None,
                                         set_exit_code_on_failure=True)


def _command(argv: list[str]) -> str:
    # Its name alone: arguments hold paths, and the worker's log is not theirs to keep.
    return next((arg for arg in argv if not arg.startswith("-")), "")


def _send(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _child(conn: socket.socket, request: dict, fds: list[int]) -> None:
    code = 1
    try:
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT
                          else signal.default_int_handler)
        # Moved clear of 0-2 first: a worker started with a standard stream closed may
        # have received a stream under one of those numbers.
        streams = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3) for fd in fds]
        for fd in fds:
            os.close(fd)
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
            os.close(fd)
        socket_file = os.environ[SOCKET_ENV]
        os.environ.clear()
        os.environ.update(request["env"], **{SOCKET_ENV: socket_file})
        os.chdir(request["cwd"])
        _send(conn, {"pid": os.getpid()})
        program, argv = request["program"], request["argv"]
        sys.argv = [program, *argv]
        if program == "dbt":
            from orchestration.defs.transform import worker_parse

            code = worker_parse.build(argv)
            return
        if program == DAGSTER_RUN:
            code = _execute_dagster_run(run_id=argv[0])
            return
        from orchestration import cli
        from orchestration.defs.transform.project import put_venv_on_path

        put_venv_on_path()
        code = cli.main(argv, delegate=False)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the caller must hear of it, not the worker
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            _send(conn, {"exit": code})
        os._exit(code)
