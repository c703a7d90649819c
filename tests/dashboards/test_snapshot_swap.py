"""The publish step's atomic swap, seen from the dashboards' side.

publish_snapshot replaces the snapshot with os.replace. A reader that holds
the old file keeps reading it, consistently; a connection opened after the
swap reads the new one; an app already running shows the new one at its next
run, without a restart.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from dashboards import data
from orchestration.defs.publish.snapshot import publish_snapshot
from tests.dashboards.fixture_snapshot import WAREHOUSE_DDL, publish, snapshot_path
from tests.dashboards.hand_network import hand_network
from tests.dashboards.pages import metrics, render
from tests.dashboards.synthetic_network import synthetic_network


@pytest.fixture
def warehouse(tmp_path):
    """A small warehouse with what publish_snapshot copies: marts, seeds and ops."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute(WAREHOUSE_DDL.read_text())
    con.execute("create schema marts; create schema seeds")
    # Two of the columns the dashboards read (dashboards.queries.COLUMNS_READ).
    con.execute("create table marts.course_outcomes as select 'first' as site_id, "
                "1 as change_pct")
    con.execute("create table seeds.instrument_catalog as select 'PHQ9' as instrument")
    yield con
    con.close()


def read(con) -> tuple:
    version = con.execute("select version from main.snapshot_info").fetchone()[0]
    rows = con.execute(
        "select site_id, change_pct from marts.course_outcomes order by all").fetchall()
    return version, rows


def test_reader_keeps_the_old_snapshot_and_a_new_connection_sees_the_new(warehouse, tmp_path):
    path = tmp_path / "snapshot" / "dashboard.duckdb"
    first = publish_snapshot(warehouse, path, "run-1")
    reader = data.open_snapshot(path)
    try:
        assert read(reader) == (first.version, [("first", 1)])
        warehouse.execute("delete from marts.course_outcomes")
        warehouse.execute("insert into marts.course_outcomes values ('second', 2), ('third', 3)")
        second = publish_snapshot(warehouse, path, "run-2")
        assert second.version != first.version

        # The open reader still sees the first snapshot, whole, query after query.
        assert read(reader) == (first.version, [("first", 1)])
        assert reader.execute("select run_id from main.snapshot_info").fetchone() == ("run-1",)

        fresh = data.open_snapshot(path)
        try:
            assert read(fresh) == (second.version, [("second", 2), ("third", 3)])
        finally:
            fresh.close()
        assert read(reader) == (first.version, [("first", 1)])
    finally:
        reader.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["dashboard.duckdb"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"


def test_the_dashboards_read_only(warehouse, tmp_path):
    path = tmp_path / "snapshot" / "dashboard.duckdb"
    publish_snapshot(warehouse, path, "run-1")
    reader = data.open_snapshot(path)
    try:
        with pytest.raises(duckdb.Error):
            reader.execute("create table marts.written as select 1")
    finally:
        reader.close()


def test_a_running_app_shows_a_new_snapshot_without_restart(tmp_path, ketreg_home):
    home = ketreg_home(tmp_path)
    publish(hand_network(), home)
    first = data.current_snapshot()
    app = render("overview")
    assert metrics(app)["ITT courses"] == "40"

    publish(synthetic_network(400, sites=3, seed=3), home)
    assert data.current_snapshot().version != first.version
    app.run()  # what the snapshot watcher's rerun does in a browser
    assert metrics(app)["ITT courses"] != "40"
    assert not app.exception
    assert snapshot_path(home).exists()
