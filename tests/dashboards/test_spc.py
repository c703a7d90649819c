"""p-chart arithmetic on hand-computed numbers (dashboards/spc.py)."""

import math

import numpy as np
import pandas as pd
import pytest

from dashboards.spc import p_chart, runs_on_one_side


def test_pooled_centre_and_limits_per_month():
    # x/n: 2/10, 6/20, 12/40, 0/0 (dropped). p̄ = 20/70 = 0.285714.
    frame = pd.DataFrame({"x": [2, 6, 12, 0], "n": [10, 20, 40, 0]})
    chart = p_chart(frame)
    assert len(chart) == 3
    centre = 20 / 70
    assert chart["centre"].tolist() == pytest.approx([centre] * 3)
    # n = 10: sigma = sqrt(0.285714 * 0.714286 / 10) = 0.142857; ucl = 0.714286, lcl floored.
    assert chart["ucl"][0] == pytest.approx(0.714286, abs=1e-6)
    assert chart["lcl"][0] == 0.0
    # n = 40: sigma = 0.071429; limits 0.071429 .. 0.5.
    assert chart["lcl"][2] == pytest.approx(0.071429, abs=1e-6)
    assert chart["ucl"][2] == pytest.approx(0.5, abs=1e-6)
    assert not chart["beyond_limits"].any()


def test_limits_are_capped_at_one_and_points_beyond_are_marked():
    # p̄ = 0.9 over n = 4 each: sigma = 0.15, ucl = 1.35 -> 1, lcl = 0.45.
    frame = pd.DataFrame({"x": [4, 4, 4, 4, 2], "n": [4, 4, 4, 4, 4]})
    chart = p_chart(frame)
    assert chart["centre"][0] == pytest.approx(0.9)
    assert chart["ucl"].tolist() == [1.0] * 5
    assert chart["lcl"][0] == pytest.approx(0.45)
    assert chart["beyond_limits"].tolist() == [False, False, False, False, False]
    # 0.5 >= 0.45: inside. One month at 1/4 = 0.25 is below.
    frame.loc[4, "x"] = 1
    chart = p_chart(frame)
    centre = 17 / 20
    lcl = centre - 3 * math.sqrt(centre * (1 - centre) / 4)
    assert chart["lcl"][4] == pytest.approx(lcl)
    assert chart["beyond_limits"].tolist() == [False, False, False, False, True]


def test_hand_network_itt_response():
    # tests/dashboards/hand_network.py: Jan 12/12, Feb 4/5, Mar 0/11, Apr 0/12; p̄ = 0.4.
    chart = p_chart(pd.DataFrame({"x": [12, 4, 0, 0], "n": [12, 5, 11, 12]}))
    assert chart["centre"][0] == pytest.approx(0.4)
    assert chart["ucl"][0] == pytest.approx(0.4 + 3 * math.sqrt(0.24 / 12))  # 0.824264
    assert chart["beyond_limits"].tolist() == [True, False, False, False]
    assert chart["lcl"].tolist()[2:] == [0.0, 0.0]


def test_a_run_of_eight_on_one_side_is_marked_whole():
    values = np.array([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.6])
    assert runs_on_one_side(values, 0.5).tolist() == [True] * 8 + [False, False]
    # Seven is not a run; a point on the centre line breaks one.
    assert not runs_on_one_side(values[1:], 0.5)[:7].any()
    broken = np.array([0.4] * 4 + [0.5] + [0.4] * 4)
    assert not runs_on_one_side(broken, 0.5).any()
    assert runs_on_one_side(np.array([0.1] * 9), 0.5).all()


def test_no_points():
    chart = p_chart(pd.DataFrame({"x": [], "n": []}))
    assert chart.empty and {"p", "centre", "lcl", "ucl", "beyond_limits", "in_run"} <= set(chart)
