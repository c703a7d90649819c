"""Rates and their 95% Wilson score intervals (spec/outcomes.md, "Rates").

The marts carry rates computed in SQL by the dbt macro wilson_bound. A page
that filters (a course-start period, a set of routes) has to recompute rates
from counts, and this is the one place that does it in Python, with the same
formula and the same edge cases as the macro: the bound at x = 0 is exactly 0,
at x = n exactly 1, and there is no rate or interval when n = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboards.suppression import SafeFrame

# The dbt var wilson_z; pages pass the snapshot's own value when it has one.
Z95 = 1.959964


def wilson_interval(x, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper Wilson bounds of x successes out of n (arrays or scalars); NaN at n = 0."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        low = np.where(x == 0, 0.0, centre - half)
        high = np.where(x == n, 1.0, centre + half)
    no_denominator = ~(n > 0)
    low = np.where(no_denominator, np.nan, low)
    high = np.where(no_denominator, np.nan, high)
    return low, high


def add_rate(frame: pd.DataFrame, x: str, n: str, name: str, z: float = Z95) -> pd.DataFrame:
    """Add `<name>_rate`, `<name>_ci_low` and `<name>_ci_high` for x / n, row by row."""
    numerator = frame[x].astype(float).to_numpy()
    denominator = frame[n].astype(float).to_numpy()
    low, high = wilson_interval(numerator, denominator, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(denominator > 0, numerator / denominator, np.nan)
    return frame.assign(**{f"{name}_rate": rate, f"{name}_ci_low": low, f"{name}_ci_high": high})


# The columns of marts.outcome_rates that outcome_rates() computes, in the mart's order.
OUTCOME_RATE_COLUMNS = [
    "denominator", "n_courses",
    "n_responders", "response_rate", "response_ci_low", "response_ci_high",
    "n_remitters", "remission_rate", "remission_ci_low", "remission_ci_high",
    "n_itt_courses", "n_completer_courses", "follow_up_rate", "follow_up_ci_low",
    "follow_up_ci_high",
]


def outcome_rates(counts: pd.DataFrame, denominator: str, z: float = Z95) -> pd.DataFrame:
    """Response, remission and follow-up rates from ITT counts, under one denominator.

    `counts` has n_itt_courses, n_completer_courses, n_responders and n_remitters
    (dashboards.queries.outcome_counts). Responders and remitters are completers
    by definition, so both denominators share the numerators; under ITT a course
    without an endpoint counts as neither.
    """
    if denominator not in ("ITT", "COMPLETER"):
        raise ValueError(f"denominator must be ITT or COMPLETER, not {denominator!r}")
    n = counts["n_itt_courses"] if denominator == "ITT" else counts["n_completer_courses"]
    frame = counts.assign(denominator=denominator, n_courses=n)
    frame = add_rate(frame, "n_responders", "n_courses", "response", z)
    frame = add_rate(frame, "n_remitters", "n_courses", "remission", z)
    frame = add_rate(frame, "n_completer_courses", "n_itt_courses", "follow_up", z)
    counted = [c for c in counts.columns if c not in OUTCOME_RATE_COLUMNS]
    return frame[[*counted, *OUTCOME_RATE_COLUMNS]]


# --- on suppressed frames ------------------------------------------------------------
#
# Rates are derived after suppression, from the exact counts, and hidden wherever a
# count they rest on is hidden: a rate times its denominator gives its numerator back.


def _pair_declared(frame: SafeFrame, x: str, n: str, aliases: dict[str, str]) -> bool:
    return (aliases.get(x, x), aliases.get(n, n)) in frame.nested


def with_rate(frame: SafeFrame, x: str, n: str, name: str, z: float = Z95, *,
              aliases: dict[str, str] | None = None) -> SafeFrame:
    """`<name>_rate` and its Wilson interval for x of n, hidden with x or n.

    x must be declared nested in n (dashboards.suppression.Cells.nested), so that
    suppression protected the complement n - x as well.
    """
    if not _pair_declared(frame, x, n, aliases or {}):
        raise ValueError(f"{x} is not declared a part of {n}: its complement is not protected")
    numerator = frame.exact_column(x).astype(float).to_numpy()
    denominator = frame.exact_column(n).astype(float).to_numpy()
    low, high = wilson_interval(numerator, denominator, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(denominator > 0, numerator / denominator, np.nan)
    mask = frame.hidden[x] | frame.hidden[n]
    columns = {f"{name}_rate": rate, f"{name}_ci_low": low, f"{name}_ci_high": high}
    return frame.derive(columns, {column: mask for column in columns})


def with_ratio(frame: SafeFrame, x: str, n: str, name: str, scale: float = 1.0) -> SafeFrame:
    """`name` = scale * x / n (events per 1,000 sessions), hidden with x or n."""
    numerator = frame.exact_column(x).astype(float).to_numpy()
    denominator = frame.exact_column(n).astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denominator > 0, scale * numerator / denominator, np.nan)
    return frame.derive({name: ratio}, {name: frame.hidden[x] | frame.hidden[n]})


def safe_outcome_rates(counts: SafeFrame, denominator: str, z: float = Z95) -> SafeFrame:
    """outcome_rates() on a suppressed frame of dashboards.queries.outcome_counts."""
    if denominator not in ("ITT", "COMPLETER"):
        raise ValueError(f"denominator must be ITT or COMPLETER, not {denominator!r}")
    source = "n_itt_courses" if denominator == "ITT" else "n_completer_courses"
    index = counts.values.index
    frame = counts.derive(
        {"denominator": pd.Series(denominator, index=index),
         "n_courses": counts.exact_column(source)},
        {"denominator": pd.Series(False, index=index), "n_courses": counts.hidden[source]},
        counts=("n_courses",))
    aliases = {"n_courses": source}
    frame = with_rate(frame, "n_responders", "n_courses", "response", z, aliases=aliases)
    frame = with_rate(frame, "n_remitters", "n_courses", "remission", z, aliases=aliases)
    frame = with_rate(frame, "n_completer_courses", "n_itt_courses", "follow_up", z)
    counted = [c for c in counts.values.columns if c not in OUTCOME_RATE_COLUMNS]
    return frame.select([*counted, *OUTCOME_RATE_COLUMNS])
