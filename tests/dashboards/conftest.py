"""Published fixture snapshots, one KETREG_HOME each, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.fixture_snapshot import publish
from tests.dashboards.hand_network import empty_network, hand_network
from tests.dashboards.synthetic_network import synthetic_network

REALISTIC_PATIENTS = 3000


@pytest.fixture(scope="session")
def hand_home(tmp_path_factory) -> Path:
    """The hand-computed network, published without the marts that do not exist yet."""
    home = tmp_path_factory.mktemp("hand")
    publish(hand_network(), home, expected_marts=False)
    return home


@pytest.fixture(scope="session")
def empty_home(tmp_path_factory) -> Path:
    """Every table, no rows."""
    home = tmp_path_factory.mktemp("empty")
    publish(empty_network(), home)
    return home


@pytest.fixture(scope="session")
def realistic_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("realistic")
    publish(synthetic_network(REALISTIC_PATIENTS, sites=6, seed=7), home)
    return home


@pytest.fixture
def ketreg_home(monkeypatch):
    """Point the app at a KETREG_HOME, with the default small-cell policy."""
    monkeypatch.delenv("KETREG_SHOW_SMALL_CELLS", raising=False)
    monkeypatch.delenv("KETREG_SMALL_CELL_THRESHOLD", raising=False)

    def use(home: Path) -> Path:
        monkeypatch.setenv("KETREG_HOME", str(home))
        return home

    return use
