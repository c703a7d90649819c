"""The access matrix: every page and every download, for a site-A user, a site-B user and
a network user, on a network with values planted at each site (access_network.py).

Each viewer signs in through the form and opens every page in every scope their
site picker offers; every download is taken (as a click would). Then:

- a site user never sees another site's id or patient keys, cannot pick another
  site, and the data layer refuses one asked for directly;
- their own site is shown exactly (the planted values of 4 and 7);
- the safety follow-up list holds their own sites' patients only;
- the registry-wide sections (files, checks) are for the network role;
- the brute-force attacker (disclosure.py) finds no count of 1-10 of another
  site's patients, shown or worked out, and no suppressed cell it can re-derive.
"""

from __future__ import annotations

import pytest

from dashboards import data, queries
from dashboards.access.roles import Role, Viewer
from tests.dashboards.access_network import (
    PASSWORD,
    SITE_A,
    SITE_B,
    SITE_C,
    SITES,
    key_prefix,
)
from tests.dashboards.disclosure import HIDDEN, NO_COUNTS, TABLES, Attacker
from tests.dashboards.pages import PAGES, Downloads, go, signed_in, visible_text

PICKERS = {"overview": "overview-site", "outcomes": "outcomes-site", "safety": "safety-site",
           "quality_improvement": "qi-site", "safety_follow_up": "follow-up-site",
           "data_quality": "dq-site"}
OWN = {"alice": (SITE_A,), "bob": (SITE_B,), "nora": ()}


def tour(user: str, downloads: Downloads) -> dict:
    """Every page in every scope the user can pick: {page: {scope: {download: frame}}},
    with the text each view showed and the site picker's choices."""
    app = signed_in(user, PASSWORD)
    result = {"views": {}, "text": {}, "choices": {}, "exceptions": []}
    for page in PAGES:
        downloads.clear()
        go(app, page)
        result["exceptions"] += [f"{page}: {e.value}" for e in app.exception]
        scopes = ["ALL"]
        if page in PICKERS:
            picker = app.selectbox(key=PICKERS[page])
            scopes = list(picker.options)
            result["choices"][page] = scopes
        views, texts = {}, []
        for index, label in enumerate(scopes):
            if page in PICKERS and index > 0:
                downloads.clear()
                app.selectbox(key=PICKERS[page]).set_value(label).run()
                result["exceptions"] += [f"{page}/{label}: {e.value}" for e in app.exception]
            scope = "ALL" if index == 0 else label
            views[scope] = downloads.all()
            texts.append(visible_text(app))
        result["views"][page] = views
        result["text"][page] = "\n".join(texts)
    return result


@pytest.fixture(scope="module")
def truth(access_home):
    """Every view, exact (a network viewer with KETREG_SHOW_SMALL_CELLS=1)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KETREG_HOME", str(access_home))
        patch.setenv("KETREG_SHOW_SMALL_CELLS", "1")
        patch.delenv("KETREG_AUTH", raising=False)
        return tour("nora", Downloads(patch))["views"]


@pytest.fixture(scope="module")
def tours(access_home):
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KETREG_HOME", str(access_home))
        patch.delenv("KETREG_SHOW_SMALL_CELLS", raising=False)
        patch.delenv("KETREG_AUTH", raising=False)
        for user in OWN:
            results[user] = tour(user, Downloads(patch))
    return results


def all_text(result: dict) -> str:
    frames = [frame.to_csv(index=False) for views in result["views"].values()
              for downloads in views.values() for frame in downloads.values()]
    return "\n".join([*result["text"].values(), *frames])


@pytest.mark.parametrize("user", list(OWN))
def test_every_page_renders_for_every_role(tours, user):
    assert not tours[user]["exceptions"]
    for page, views in tours[user]["views"].items():
        for scope, downloads in views.items():
            unknown = set(downloads) - set(TABLES) - NO_COUNTS
            assert not unknown, f"{page}/{scope}: downloads the attacker does not know: {unknown}"


@pytest.mark.parametrize(("user", "own"), [("alice", SITE_A), ("bob", SITE_B)])
def test_a_site_user_sees_no_other_site(tours, user, own):
    result = tours[user]
    for choices in result["choices"].values():
        assert choices[1:] == [own]
    text = all_text(result)
    for other in SITES:
        if other != own:
            assert other not in text, f"{user} was shown {other}"
            assert key_prefix(other) not in text, f"{user} was shown a patient of {other}"
    assert "recent_files" not in result["views"]["data_quality"]["ALL"]
    assert "gx_results" not in result["views"]["data_quality"]["ALL"]


def test_the_network_user_sees_every_site(tours):
    result = tours["nora"]
    assert result["choices"]["outcomes"][1:] == list(SITES)
    flags = result["views"]["safety_follow_up"]["ALL"]["safety_flags"]
    assert {key_prefix(s) + "PLANTED" for s in (SITE_A, SITE_B)} <= set(flags["patient_key"])
    assert {"recent_files", "gx_results"} <= set(result["views"]["data_quality"]["ALL"])


@pytest.mark.parametrize(("user", "own", "indication", "planted"),
                         [("alice", SITE_A, "OCD", "4"), ("bob", SITE_B, "PTSD", "7")])
def test_own_site_exact_and_other_sites_small_cells_hidden(tours, user, own, indication,
                                                           planted):
    views = tours[user]["views"]["outcomes"]
    mine = views[own]["outcome_rates"].set_index(["route", "indication"])
    assert mine.loc[("IN", indication), "n_itt_courses"] == planted
    other = "PTSD" if indication == "OCD" else "OCD"
    network = views["ALL"]["outcome_rates"].set_index(["route", "indication"])
    # Only the other site has IN courses for that indication: a small count, not shown.
    assert network.loc[("IN", other), "n_itt_courses"] in HIDDEN
    flags = tours[user]["views"]["safety_follow_up"]
    for scope in flags:
        keys = flags[scope]["safety_flags"]["patient_key"]
        assert keys.str.startswith(key_prefix(own)).all()
    assert key_prefix(own) + "PLANTED" in set(flags["ALL"]["safety_flags"]["patient_key"])


def test_the_data_layer_refuses_other_sites(signed_in_home):
    alice = Viewer("alice", Role.parse(f"site:{SITE_A}"))
    with pytest.raises(data.AccessDenied):
        data.fetch_safe(queries.outcome_counts, scope=SITE_B, viewer=alice, start=None,
                        end=None, routes=(), indications=())
    with pytest.raises(data.AccessDenied):
        data.fetch_safe(queries.safety_flag_list, scope=SITE_C, viewer=alice, days=None)
    with pytest.raises(data.AccessDenied):
        data.fetch_safe(queries.recent_files, viewer=alice, limit=10)
    with pytest.raises(data.AccessDenied):
        data.fetch(queries.outcome_counts, viewer=alice)
    # what the data layer gives her never carries another site
    frame = data.fetch_safe(queries.completeness, scope=data.EACH, viewer=alice)
    assert set(frame.values["site_id"]) == {SITE_A}
    flags = data.fetch_safe(queries.safety_flag_list, viewer=alice, days=None)
    assert set(flags.values["site_id"]) == {SITE_A}


@pytest.mark.parametrize("user", list(OWN))
def test_no_small_cell_can_be_worked_out(tours, truth, user, record_property):
    """The brute force: every page, every download, every scope the user can pick.

    A count hidden only to protect another ("*", 11 or more, or 0) may be worked out
    again (the protection lies in the other count staying unknown); a count of 1-10
    of someone else's patients never is, nor shown, nor derivable as a difference.
    """
    leaks, rederived, hidden = [], [], 0
    for page, views in tours[user]["views"].items():
        attacker = Attacker(views, truth[page], OWN[user])
        found, worked_out = attacker.leaks()
        leaks += [f"{page}: {f}" for f in found]
        rederived += [f"{page}: {f}" for f in worked_out]
        hidden += len(attacker.unknown)
    record_property("suppressed_cells", hidden)
    record_property("rederived_protecting_cells", len(rederived))
    assert hidden > 0  # the attack had something to work on
    assert not leaks, "\n".join(leaks[:20])
    assert all(not (1 <= float(f.split(" = ")[1].split()[0]) < 11) or "part: 0" in f
               for f in rederived)


def test_the_attacker_finds_what_primary_suppression_alone_leaves(signed_in_home, monkeypatch):
    """Without complementary suppression, the brute force does find small counts: it is
    not blind."""
    import io

    import pandas as pd
    import streamlit as st

    from dashboards import rates, suppression

    def outcome_views(viewer) -> dict:
        views = {}
        for scope in ("ALL", *data.visible_sites(viewer)):
            counts = data.fetch_safe(queries.outcome_counts, scope=scope, viewer=viewer,
                                     start=None, end=None, routes=(), indications=())
            table = rates.safe_outcome_rates(counts, "ITT").display()
            views[scope] = {"outcome_rates": pd.read_csv(io.StringIO(table.to_csv(index=False)),
                                                         dtype=str, keep_default_na=False)}
        return views

    nora = Viewer("nora", Role.network())
    monkeypatch.setenv("KETREG_SHOW_SMALL_CELLS", "1")
    exact = outcome_views(nora)
    monkeypatch.delenv("KETREG_SHOW_SMALL_CELLS")
    st.cache_data.clear()
    assert not Attacker(outcome_views(nora), exact, ()).leaks()[0]

    def primary_only(problem, forced=frozenset()):
        private = problem.private_values()
        return {v for v in range(len(problem.keys))
                if problem.status[v] == suppression.CANDIDATE
                and problem.policy.small(private[v])}

    monkeypatch.setattr(suppression, "_solve", primary_only)
    st.cache_data.clear()
    leaks, _ = Attacker(outcome_views(nora), exact, ()).leaks()
    st.cache_data.clear()
    assert any(f.what == "re-derived" for f in leaks)
