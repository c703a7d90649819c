"""Statistical process control: the p-chart of a monthly proportion.

For points i with x_i events out of n_i:
    centre p̄ = Σx / Σn (pooled, not the mean of the monthly rates),
    limits  p̄ ± 3·sqrt(p̄(1−p̄)/n_i), the lower floored at 0 and the upper capped at 1.
Two signals of special-cause variation are marked:
    beyond_limits: p_i below the lower or above the upper limit;
    in_run:        the point belongs to a run of RUN_LENGTH or more consecutive
                   points on the same side of the centre line. A point exactly on
                   the centre line belongs to neither side and ends a run.
Pure functions on plain frames, so that the arithmetic is tested on hand-computed
numbers without Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboards.suppression import SafeFrame

RUN_LENGTH = 8
SIGMA_LIMITS = 3.0


def p_chart(frame: pd.DataFrame, x: str = "x", n: str = "n") -> pd.DataFrame:
    """The frame (ordered as the points should be read) with p, centre, lcl, ucl and the signals.

    Rows with n = 0 have no proportion and are dropped: an empty month is not a point.
    """
    points = frame.loc[frame[n].astype(float) > 0].reset_index(drop=True)
    events = points[x].astype(float).to_numpy()
    trials = points[n].astype(float).to_numpy()
    if len(points) == 0:
        return points.assign(p=[], centre=[], lcl=[], ucl=[], beyond_limits=[], in_run=[])
    p = events / trials
    centre = events.sum() / trials.sum()
    sigma = np.sqrt(centre * (1 - centre) / trials)
    lcl = np.maximum(0.0, centre - SIGMA_LIMITS * sigma)
    ucl = np.minimum(1.0, centre + SIGMA_LIMITS * sigma)
    return points.assign(
        p=p,
        centre=centre,
        lcl=lcl,
        ucl=ucl,
        beyond_limits=(p < lcl) | (p > ucl),
        in_run=runs_on_one_side(p, centre),
    )


def runs_on_one_side(values: np.ndarray, centre: float, length: int = RUN_LENGTH) -> np.ndarray:
    """True for each point in a run of `length` or more consecutive points on one side."""
    side = np.sign(np.asarray(values, dtype=float) - centre)
    flagged = np.zeros(len(side), dtype=bool)
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            if side[start] != 0 and i - start >= length:
                flagged[start:i] = True
            start = i
    return flagged


def safe_p_chart(monthly: SafeFrame, month: str = "month") -> SafeFrame:
    """p_chart on a suppressed frame of months (x, n) and their total (`month` missing).

    Computed from the exact counts; a month's p and signals are hidden with its x or
    n, its limits with its n, and the centre line (with every limit and signal,
    which rest on it) with the total's x or n: the centre times the total gives
    the total back, and the total less the months shown gives a hidden month.
    """
    is_total = monthly.values[month].isna()
    total = monthly.where(is_total)
    points = monthly.where(~is_total)
    points = points.where(points.exact_column("n").astype(float) > 0).reset_index()
    exact = pd.DataFrame({month: points.values[month], "x": points.exact_column("x"),
                          "n": points.exact_column("n")})
    chart = p_chart(exact)
    total_hidden = bool(total.hidden_any(["x", "n"]).any()) if len(total) else True
    index = points.values.index
    totals = pd.Series(total_hidden, index=index)
    month_hidden = points.hidden_any(["x", "n"])
    n_hidden = points.hidden["n"]
    derived = {"p": month_hidden, "centre": totals, "lcl": n_hidden | totals,
               "ucl": n_hidden | totals, "beyond_limits": month_hidden | totals,
               "in_run": month_hidden | totals}
    return points.derive({c: chart[c] for c in derived}, derived)
