"""The served dashboards in a real browser: Playwright driving Debian's Chromium.

The server is started the way `ketreg dashboard` starts it (dashboards.serve),
on a free port of 127.0.0.1, against the planted three-clinic network
(access_network.py), with sign-in on. A network user signs in through the
form; a new snapshot is published, and their open page must show it within a
minute, without a reload. While that minute runs, a site-A and a site-B user
sign in, in browsers of their own, and open every page: each must draw its
charts, and show nothing of another site; a download taken by clicking is
their own site's only. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboards import navigation
from dashboards.access.roles import Role
from dashboards.access.users import UserStore
from dashboards.serve import streamlit_command
from tests.dashboards.access_network import (
    PASSWORD,
    SITE_A,
    SITE_B,
    SITES,
    USERS,
    access_network,
    key_prefix,
)
from tests.dashboards.fixture_snapshot import publish
from tests.dashboards.serving import free_port, wait_until_healthy

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


@pytest.fixture
def dashboard(tmp_path):
    """A served app on a fresh KETREG_HOME: (base url, home)."""
    home = tmp_path / "home"
    publish(access_network(), home)
    store = UserStore(home / "users.json")
    for name, role in USERS.items():
        store.add(name, Role.parse(role), password=PASSWORD)
    port = free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "KETREG_HOME": str(home)}
    for name in ("KETREG_SHOW_SMALL_CELLS", "KETREG_AUTH"):
        env.pop(name, None)
    with log.open("w") as output:
        server = subprocess.Popen(streamlit_command(port, "127.0.0.1"), env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, server, log, SERVER_START_SECONDS)
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


def sign_in(browser, base_url: str, user: str):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_SECONDS * 1000)
    page.goto(base_url, wait_until="domcontentloaded")
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator('[data-testid="stMainBlockContainer"] h1', has_text="Overview").first \
        .wait_for(state="visible")
    return page


def open_every_page(page, base_url: str, user: str) -> str:
    """Each page in turn; what they showed, as text."""
    shown = []
    for spec in navigation.PAGES:
        # In-app navigation keeps the session (a new URL would start a new one, signed out).
        page.locator('[data-testid="stSidebarNav"] a', has_text=spec.title).first.click()
        page.locator('[data-testid="stMainBlockContainer"] h1', has_text=spec.title).first \
            .wait_for(state="visible")
        if spec.name not in WITHOUT_CHARTS:
            page.locator(CHART).first.wait_for(state="visible")
        else:
            page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        page.wait_for_load_state("networkidle", timeout=PAGE_SECONDS * 1000)
        assert page.locator('[data-testid="stException"]').count() == 0, (user, spec.name)
        shown.append(page.locator('[data-testid="stMain"]').inner_text())
        shown.append(page.content())
    return "\n".join(shown)


def test_roles_in_the_browser_and_a_new_snapshot_appears(dashboard, browser):
    base_url, home = dashboard
    nora = sign_in(browser, base_url, "nora")
    itt = nora.locator('[data-testid="stMetric"]', has_text="ITT courses").first
    itt.wait_for(state="visible")
    before = itt.inner_text()
    publish(access_network(grown=40), home)  # 40 more ITT courses at site A

    for user, own in (("alice", SITE_A), ("bob", SITE_B)):
        page = sign_in(browser, base_url, user)
        text = open_every_page(page, base_url, user)
        for other in SITES:
            if other != own:
                assert other not in text, f"{user} was shown {other}"
                assert key_prefix(other) not in text, f"{user} was shown a patient of {other}"
        # the safety follow-up list, downloaded by a click: their own site's flags only
        page.locator('[data-testid="stSidebarNav"] a', has_text="Safety follow-up").first.click()
        page.locator('[data-testid="stMainBlockContainer"] h1', has_text="Safety follow-up") \
            .first.wait_for(state="visible")
        page.wait_for_load_state("networkidle", timeout=PAGE_SECONDS * 1000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        with page.expect_download(timeout=PAGE_SECONDS * 1000) as download:
            page.get_by_role("button", name="Download CSV").first.click()
        content = Path(download.value.path()).read_text()
        assert key_prefix(own) in content
        assert all(key_prefix(o) not in content for o in SITES if o != own)
        page.context.close()

    nora.wait_for_function(
        """before => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('ITT courses') && m.innerText !== before)""",
        arg=before, timeout=REFRESH_SECONDS * 1000,
    )
    assert itt.inner_text() != before
    assert nora.locator('[data-testid="stException"]').count() == 0
