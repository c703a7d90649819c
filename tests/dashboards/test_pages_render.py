"""Every page renders, without an exception, whatever the snapshot holds.

Realistic: a generated network of 3,000 patients (synthetic_network.py).
Empty: every table present, no rows. Missing: nothing published yet.
"""

import pytest

from tests.dashboards.pages import PAGES, infos, render, shown


def assert_renders(page: str):
    app = render(page)
    assert not app.exception, [e.value for e in app.exception]
    return app


def assert_everything_downloadable(app):
    """Each table and chart is followed by the CSV of its data."""
    result = shown(app)
    tables = len(app.dataframe)
    charts = len(app.get("plotly_chart"))
    assert len(result.tables) == tables and len(result.charts) == charts


@pytest.mark.parametrize("page", PAGES)
def test_realistic_snapshot(page, realistic_home, ketreg_home):
    ketreg_home(realistic_home)
    app = assert_renders(page)
    assert_everything_downloadable(app)
    if page not in ("safety_follow_up", "definitions"):
        assert app.get("plotly_chart"), f"{page} drew no chart"


@pytest.mark.parametrize("page", PAGES)
def test_empty_snapshot_says_what_is_missing(page, empty_home, ketreg_home):
    ketreg_home(empty_home)
    app = assert_renders(page)
    assert_everything_downloadable(app)
    if page != "definitions":  # the seeds are there even when no data is
        assert infos(app), f"{page} showed no empty state"


@pytest.mark.parametrize("page", PAGES)
def test_no_snapshot_yet(page, tmp_path, ketreg_home):
    ketreg_home(tmp_path)
    app = assert_renders(page)
    assert any("ketreg run" in message for message in infos(app))


@pytest.mark.parametrize("page", ["outcomes", "safety", "quality_improvement",
                                  "safety_follow_up"])
def test_a_site_with_one_patient(page, hand_home, ketreg_home):
    ketreg_home(hand_home)
    app = assert_renders(page)
    app.selectbox[0].set_value("BRV-02").run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_damaged_snapshot_says_so(tmp_path, ketreg_home):
    home = ketreg_home(tmp_path)
    (home / "snapshot").mkdir()
    (home / "snapshot" / "dashboard.duckdb").write_bytes(b"not a database")
    app = render("overview")
    assert not app.exception
    assert any("cannot be read" in e.value for e in app.error)
