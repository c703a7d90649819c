"""A dashboard server a test starts: a free port for it, and the wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base_url: str, server: subprocess.Popen, log: Path | None = None,
                       seconds: float = 90) -> None:
    """Until Streamlit's health check at `base_url` answers ok; the test fails, with the
    server's log, if the server exits first or does not answer within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard server exited ({server.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the dashboard server did not answer within {seconds} s:\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text()[-5000:] if log is not None and log.exists() else "(no log)"
