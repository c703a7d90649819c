"""Small-cell suppression (spec/outcomes.md, "Small cells")."""

import math

import pandas as pd
import pytest

from dashboards.suppression import Cells, Policy, current_policy, rate_columns, suppress

CELLS = Cells(counts=("n", "x"), rates=rate_columns("response", "x", "n"),
              resting_on={"median": ("n",)})


def texts(column: pd.Series) -> list:
    """What a reader sees in each cell: its text, or None for a blank."""
    return [None if pd.isna(v) else str(v) for v in column]


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "site_id": ["A", "B", "C", "D", "E"],
        "n": [40, 5, 20, 0, 11],
        "x": [16, 2, 0, 0, 3],
        "response_rate": [0.4, 0.4, 0.0, None, 3 / 11],
        "median": [12.0, 9.0, 10.0, None, 8.0],
    })


def test_counts_of_one_to_ten_and_what_rests_on_them_are_hidden():
    safe = suppress(frame(), CELLS, Policy())
    shown = safe.display()
    assert texts(shown["n"]) == ["40", "<11", "20", "0", "11"]
    assert texts(shown["x"]) == ["16", "<11", "0", "0", "<11"]
    # 0/20 is shown: zero may be, and n - x = 20. 3/11: x is small.
    rates = safe.values["response_rate"].tolist()
    assert rates[0] == 0.4 and rates[2] == 0.0
    assert math.isnan(rates[1]) and math.isnan(rates[4])
    assert math.isnan(safe.values["median"][1]) and safe.values["median"][4] == 8.0


def test_a_rate_is_hidden_when_its_complement_is_small():
    data = pd.DataFrame({"n": [15, 15], "x": [12, 4], "response_rate": [0.8, 4 / 15]})
    safe = suppress(data, Cells(counts=("n", "x"), rates=rate_columns("response", "x", "n"),
                                site_column=None), Policy())
    # 15 - 12 = 3 non-responders could be derived: the 12 is hidden ("*": not itself small).
    assert math.isnan(safe.values["response_rate"][0])
    assert texts(safe.display()["x"]) == ["*", "<11"]


def test_show_exact_and_threshold():
    exact = suppress(frame(), CELLS, Policy(show_exact=True))
    assert texts(exact.display()["n"]) == ["40", "5", "20", "0", "11"]
    assert not exact.hidden.any().any()
    lower = suppress(frame(), CELLS, Policy(threshold=5))
    assert texts(lower.display()["n"]) == ["40", "5", "20", "0", "11"]
    assert texts(lower.display()["x"]) == ["16", "<5", "0", "0", "<5"]


def test_own_sites_can_be_shown_exactly():
    safe = suppress(frame(), CELLS, Policy(exact_sites=frozenset({"B"})))
    assert texts(safe.display()["n"]) == ["40", "5", "20", "0", "11"]
    assert texts(safe.display()["x"]) == ["16", "2", "0", "0", "<11"]
    without_column = suppress(frame().drop(columns="site_id"),
                              Cells(counts=("n",), site_column=None),
                              Policy(exact_sites=frozenset({"B"})), site="B")
    assert texts(without_column.display()["n"]) == ["40", "5", "20", "0", "11"]


def test_quoting_text_is_for_exact_viewers_only():
    data = pd.DataFrame({"failures": ["3 unexpected of 40 rows", None]})
    cells = Cells(quoting_counts=("failures",))
    assert texts(suppress(data, cells, Policy()).display()["failures"]) == [None, None]
    assert suppress(data, cells, Policy(show_exact=True)).display()["failures"][0].startswith("3")


def test_policy_from_environment(monkeypatch):
    monkeypatch.delenv("KETREG_SHOW_SMALL_CELLS", raising=False)
    monkeypatch.delenv("KETREG_SMALL_CELL_THRESHOLD", raising=False)
    assert current_policy() == Policy(threshold=11, show_exact=False)
    monkeypatch.setenv("KETREG_SHOW_SMALL_CELLS", "1")
    monkeypatch.setenv("KETREG_SMALL_CELL_THRESHOLD", "6")
    assert current_policy() == Policy(threshold=6, show_exact=True)


def test_empty_frames_and_row_filters_keep_suppression():
    empty = suppress(frame().iloc[0:0], CELLS, Policy())
    assert empty.empty and empty.display().empty
    safe = suppress(frame(), CELLS, Policy())
    kept = safe.where(safe.values["site_id"].isin(["B", "C"]))
    assert texts(kept.display()["n"]) == ["<11", "20"]
    assert kept.select(["site_id", "x"]).display().columns.tolist() == ["site_id", "x"]


@pytest.mark.parametrize("value", [1, 10])
def test_bounds_of_the_small_range(value):
    safe = suppress(pd.DataFrame({"n": [value]}), Cells(counts=("n",)), Policy())
    assert texts(safe.display()["n"]) == ["<11"]
