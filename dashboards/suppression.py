"""Small-cell suppression: the one gate every frame passes before it is shown,
charted or downloaded (spec/outcomes.md, "Small cells").

A count from 1 to threshold - 1 is not shown ("<11"), nor a rate, interval or
other statistic built on one; zero may be shown. A rate x/n is hidden when x,
n or n - x is small, as the marts' is_small_cell_rate macro decides: with n
shown, x and n - x each follow from the other.

The rendering helpers (dashboards.ui) accept only a SafeFrame, the type this
module returns, so a page cannot show a frame that did not pass here.

Later (the security issue): complementary suppression across rows, and a
viewer's own sites shown exactly. The policy already carries `exact_sites`
and every rule knows the frame's site column for that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from orchestration import settings as ketreg_settings


@dataclass(frozen=True)
class Policy:
    threshold: int = 11
    # KETREG_SHOW_SMALL_CELLS=1: exact numbers everywhere (a site's own care team, a test).
    show_exact: bool = False
    # Sites whose rows this viewer may see exactly (their own care team). 'ALL' rows
    # pool other sites, so they never qualify.
    exact_sites: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"<{self.threshold}"

    def is_small(self, counts: pd.Series) -> pd.Series:
        values = pd.to_numeric(counts, errors="coerce")
        return ((values >= 1) & (values < self.threshold)).fillna(False).astype(bool)


def current_policy() -> Policy:
    settings = ketreg_settings.load()
    return Policy(threshold=settings.small_cell_threshold, show_exact=settings.show_small_cells)


@dataclass(frozen=True)
class Cells:
    """What in a frame rests on counts of people, courses, sessions or events.

    counts:     columns that are such counts themselves.
    rates:      column -> (x, n): a rate, or a bound of its interval, of x out of n.
    resting_on: column -> counts: a statistic (a median, a limit) computed from those.
    quoting_counts: free text that may quote a count of its own (a check's failure
                message); shown to exact viewers only.
    site_column: the column naming the row's site, if any (for exact_sites).
    """

    counts: tuple[str, ...] = ()
    rates: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    resting_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quoting_counts: tuple[str, ...] = ()
    site_column: str | None = "site_id"


# Frames about files, checks and definitions: nothing in them counts people.
NO_PATIENT_COUNTS = Cells()


def rate_columns(name: str, x: str, n: str) -> dict[str, tuple[str, str]]:
    """The rate and interval columns that dashboards.rates.add_rate writes for `name`."""
    return {f"{name}_rate": (x, n), f"{name}_ci_low": (x, n), f"{name}_ci_high": (x, n)}


@dataclass(frozen=True)
class SafeFrame:
    """A frame after suppression: hidden cells are missing values in `values` (for charts)."""

    values: pd.DataFrame
    hidden: pd.DataFrame
    counts: tuple[str, ...]
    label: str

    @property
    def empty(self) -> bool:
        return self.values.empty

    def display(self) -> pd.DataFrame:
        """For tables and CSV: a hidden count reads "<11", any other hidden cell is blank."""
        shown = self.values.copy()
        for column in self.counts:
            mask = self.hidden[column]
            if mask.any():
                text = self.values[column].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
                shown[column] = text.where(~mask, self.label).astype("string")
        return shown

    def where(self, keep: pd.Series) -> SafeFrame:
        """The rows where `keep` is true (row filters after suppression keep it)."""
        return SafeFrame(self.values.loc[keep], self.hidden.loc[keep], self.counts, self.label)

    def select(self, columns: list[str]) -> SafeFrame:
        """These columns only, in this order."""
        return SafeFrame(self.values[columns], self.hidden[columns],
                         tuple(c for c in self.counts if c in columns), self.label)


def suppress(
    frame: pd.DataFrame, cells: Cells, policy: Policy | None = None, *, site: str | None = None,
) -> SafeFrame:
    """Hide the small cells of `frame` by `cells`; `site` is the site of a frame without a
    site column."""
    policy = policy or current_policy()
    frame = frame.reset_index(drop=True)
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if not policy.show_exact and len(frame):
        hidden = _hidden_cells(frame, cells, policy, site)
    values = frame.copy()
    for column in frame.columns:
        if hidden[column].any():
            values[column] = _blank(values[column], hidden[column])
    counts = tuple(c for c in cells.counts if c in frame.columns)
    return SafeFrame(values, hidden, counts, policy.label)


def _hidden_cells(frame: pd.DataFrame, cells: Cells, policy: Policy,
                  site: str | None) -> pd.DataFrame:
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    small = {c: policy.is_small(frame[c]) for c in cells.counts}

    def small_count(column: str) -> pd.Series:
        return small[column] if column in small else policy.is_small(frame[column])

    for column in cells.counts:
        hidden[column] = small[column]
    for column, (x, n) in cells.rates.items():
        if column in frame.columns:
            complement = pd.to_numeric(frame[n]) - pd.to_numeric(frame[x])
            hidden[column] = small_count(x) | small_count(n) | policy.is_small(complement)
    for column, bases in cells.resting_on.items():
        if column in frame.columns:
            any_small = pd.Series(False, index=frame.index)
            for base in bases:
                any_small |= small_count(base)
            hidden[column] = any_small
    for column in cells.quoting_counts:
        if column in frame.columns:
            hidden[column] = frame[column].notna()
    hidden.loc[_exact_rows(frame, cells, policy, site), :] = False
    return hidden


def _blank(column: pd.Series, mask: pd.Series) -> pd.Series:
    # Numbers become floats with NaN, which every chart reads as "no point".
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64").mask(mask)
    return column.astype("object").mask(mask, None)


def _exact_rows(frame: pd.DataFrame, cells: Cells, policy: Policy, site: str | None) -> pd.Series:
    if not policy.exact_sites:
        return pd.Series(False, index=frame.index)
    if cells.site_column and cells.site_column in frame.columns:
        return frame[cells.site_column].isin(policy.exact_sites)
    return pd.Series(site in policy.exact_sites, index=frame.index)
