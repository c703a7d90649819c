"""The served dashboards in a real browser: Playwright driving Debian's Chromium.

The server is started the way `ketreg dashboard` starts it (dashboards.serve),
on a free port of 127.0.0.1, against a published fixture snapshot. Every page
is opened and its plotly charts found; then a new snapshot is published and
the open page must show it within a minute, without a reload. Every wait is
bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from dashboards import navigation
from dashboards.serve import streamlit_command
from tests.dashboards.fixture_snapshot import publish
from tests.dashboards.hand_network import hand_network
from tests.dashboards.synthetic_network import synthetic_network

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 90
PAGE_SECONDS = 45
# The app looks for a new snapshot every 30 s; a minute is the promise.
REFRESH_SECONDS = 70
# Pages that show only tables.
WITHOUT_CHARTS = {"safety_follow_up", "definitions"}
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing (as CI does)."""
    if CHROMIUM.exists():
        return CHROMIUM
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = [["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]]
    if os.geteuid() != 0 and shutil.which("sudo"):
        steps = [["sudo", "-n", *step] for step in steps]
    for step in steps:
        try:
            result = subprocess.run(step, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"Chromium is missing and `{' '.join(step)}` could not run: {error}")
        if result.returncode != 0:
            pytest.skip(f"Chromium is missing and `{' '.join(step)}` failed: "
                        f"{(result.stderr or result.stdout)[-500:]}")
    if not CHROMIUM.exists():
        pytest.skip(f"apt-get installed chromium but {CHROMIUM} is not there")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base_url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the dashboard server did not answer within {SERVER_START_SECONDS} s:\n"
                f"{log.read_text()}")


@pytest.fixture
def dashboard(tmp_path):
    """A served app on a fresh KETREG_HOME: (base url, home)."""
    home = tmp_path / "home"
    publish(synthetic_network(1500, sites=4, seed=11), home)
    port = free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "KETREG_HOME": str(home)}
    env.pop("KETREG_SHOW_SMALL_CELLS", None)
    with log.open("w") as output:
        server = subprocess.Popen(streamlit_command(port, "127.0.0.1"), env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, server, log)
        yield base_url, home
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)


@pytest.fixture
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                              args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            launched.close()


def test_every_page_draws_its_charts_and_a_new_snapshot_appears(dashboard, browser):
    base_url, home = dashboard
    page = browser.new_page()
    page.set_default_timeout(PAGE_SECONDS * 1000)
    for index, spec in enumerate(navigation.PAGES):
        path = "" if index == 0 else spec.name  # the default page is served at the root
        page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
        page.locator('[data-testid="stMainBlockContainer"] h1', has_text=spec.title).first \
            .wait_for(state="visible")
        if spec.name not in WITHOUT_CHARTS:
            page.locator(CHART).first.wait_for(state="visible")
            assert page.locator(CHART).count() >= 1, path
        else:
            page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        page.wait_for_load_state("networkidle", timeout=PAGE_SECONDS * 1000)
        assert page.locator('[data-testid="stException"]').count() == 0, path

    page.goto(base_url, wait_until="domcontentloaded")
    itt = page.locator('[data-testid="stMetric"]', has_text="ITT courses").first
    itt.wait_for(state="visible")
    before = itt.inner_text()
    publish(hand_network(), home)  # 40 ITT courses, where the generated network has hundreds
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('ITT courses') && /\\b40\\b/.test(m.innerText))""",
        timeout=REFRESH_SECONDS * 1000,
    )
    assert itt.inner_text() != before
