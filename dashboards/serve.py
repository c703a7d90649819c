"""Serve the dashboards: `ketreg dashboard [--port P]` runs `streamlit run dashboards/app.py`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8501
# Only this machine by default: the pages show a clinic network's outcomes. Every page
# asks for sign-in (dashboards.access) unless KETREG_AUTH=none; put a TLS-terminating
# proxy in front before passing address="0.0.0.0" to share it.
DEFAULT_ADDRESS = "127.0.0.1"


def streamlit_command(port: int | None = None, address: str = DEFAULT_ADDRESS) -> list[str]:
    """The command line, run with this environment's Python so the app imports the same packages."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless=true",
        f"--server.port={port or DEFAULT_PORT}",
        f"--server.address={address}",
        # Streamlit's default, stated so that no config file can turn it off unnoticed.
        "--server.enableXsrfProtection=true",
        # A served app does not change under it: no watcher, no reload on save.
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--browser.gatherUsageStats=false",
        # Readers of the registry, not developers of the app: no deploy or rerun menu.
        "--client.toolbarMode=viewer",
        "--global.developmentMode=false",
    ]


def serve(port: int | None = None, address: str = DEFAULT_ADDRESS) -> int:
    """Run the dashboard server until it stops or is interrupted; its exit code."""
    process = subprocess.Popen(streamlit_command(port, address))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
