"""Published fixture snapshots, one KETREG_HOME each, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.fixture_snapshot import publish
from tests.dashboards.hand_network import empty_network, hand_network
from tests.dashboards.synthetic_network import synthetic_network

REALISTIC_PATIENTS = 3000


def pytest_collection_modifyitems(session, config, items):
    """The pipeline's run takes minutes of one core: start it now, beside the other tests,
    when a test that needs it was selected."""
    if any("pipeline_home" in getattr(item, "fixturenames", ()) for item in items):
        from tests.dashboards.test_pipeline_snapshot import start_pipeline

        start_pipeline(config)


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


@pytest.fixture(autouse=True)
def _no_inherited_access_settings(monkeypatch):
    for name in ("KETREG_AUTH", "KETREG_SESSION_MINUTES", "KETREG_SESSION_HOURS",
                 "KETREG_SIGNIN_MAX_FAILURES", "KETREG_SIGNIN_LOCKOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ketreg_home(monkeypatch):
    """Point the app at a KETREG_HOME, with the default small-cell policy and sign-in off
    (KETREG_AUTH=none: the network role); the access tests sign users in instead."""
    monkeypatch.delenv("KETREG_SHOW_SMALL_CELLS", raising=False)
    monkeypatch.delenv("KETREG_SMALL_CELL_THRESHOLD", raising=False)
    monkeypatch.setenv("KETREG_AUTH", "none")

    def use(home: Path) -> Path:
        monkeypatch.setenv("KETREG_HOME", str(home))
        return home

    return use


@pytest.fixture(scope="session")
def access_home(tmp_path_factory) -> Path:
    """The planted three-clinic network (access_network.py) and its users: alice (site A),
    bob (site B) and nora (network), all with access_network.PASSWORD."""
    from dashboards.access.roles import Role
    from dashboards.access.users import UserStore
    from tests.dashboards.access_network import PASSWORD, USERS, access_network

    home = tmp_path_factory.mktemp("access")
    publish(access_network(), home)
    store = UserStore(home / "users.json")
    for name, role in USERS.items():
        store.add(name, Role.parse(role), password=PASSWORD)
    return home


@pytest.fixture
def signed_in_home(access_home, monkeypatch):
    """KETREG_HOME = the access network, sign-in on, the default small-cell policy."""
    monkeypatch.setenv("KETREG_HOME", str(access_home))
    monkeypatch.delenv("KETREG_SHOW_SMALL_CELLS", raising=False)
    monkeypatch.delenv("KETREG_SMALL_CELL_THRESHOLD", raising=False)
    return access_home
