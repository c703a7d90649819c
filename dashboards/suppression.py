"""Small-cell suppression: the one gate every frame passes before it is shown,
charted or downloaded (spec/outcomes.md, "Small cells").

A count from 1 to threshold - 1 is not shown, nor a rate, interval or other
statistic built on one, nor a cell from which such a count could be derived:
complementary suppression. Zero may be shown.

How a frame is protected. Its counts are variables; what the frame shows
relates them linearly:

- margins: a row whose value in a margin dimension (the site, a route, a
  month ...) is 'ALL' (or missing) is the sum of the rows that differ from it
  only there; whatever the sum misses (a patient counted at two sites, a
  session without a dose) is an unknown remainder;
- nested counts: a part of a whole (responders of completers) leaves its
  complement (completers who did not respond), itself a count;
- sums: a count made of others in the same row (rows read = loaded + quarantined).

A count is *sensitive* when the part of it that the viewer does not already
know lies in 1 .. threshold - 1. Every sensitive count that would be shown is
hidden (primary suppression). Then, as long as linear algebra on what stays
shown can still pin down a sensitive count exactly (its column of the null
space of the relations over the unknowns is zero), one more count is hidden
next to it (secondary suppression): preferably in a row that already lost a
cell, in a detail row rather than a total, a part rather than its whole,
non-zero, and small. The loop ends when nothing sensitive is derivable.

Viewers. A network viewer knows nothing exactly: every site is a row of its own
in the frame (the site is a margin dimension), so "ALL minus the other sites"
is covered. A site viewer knows their own sites exactly (Policy.exact_sites):
those rows are never hidden, and every other site is pooled in one row,
OTHERS, that the data layer never lets out but that suppression reasons
about: "ALL minus my own sites" is OTHERS, so a network row is hidden when what
it adds to the viewer's own sites is a small count.

The rendering helpers (dashboards.ui) accept only a SafeFrame, the type this
module returns, so a page cannot show a frame that did not pass here. A hidden
count reads "<11" when it is itself a small count, "*" when it was hidden to
protect another; any other hidden cell is blank.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration import settings as ketreg_settings

ALL = "ALL"
# The pooled row of the sites a site viewer may not see; it never leaves dashboards.data.
OTHERS = "~OTHERS"
SECONDARY_LABEL = "*"
_MAX_ROUNDS = 200


@dataclass(frozen=True)
class Policy:
    threshold: int = 11
    # KETREG_SHOW_SMALL_CELLS=1: exact numbers everywhere (a network viewer; a test).
    show_exact: bool = False
    # Sites whose rows this viewer sees exactly (their own care team). 'ALL' rows
    # pool other sites, so they never qualify.
    exact_sites: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"<{self.threshold}"

    def is_small(self, counts: pd.Series) -> pd.Series:
        values = pd.to_numeric(counts, errors="coerce")
        return ((values >= 1) & (values < self.threshold)).fillna(False).astype(bool)

    def small(self, value: float) -> bool:
        return 1 <= value < self.threshold


def current_policy() -> Policy:
    """The registry's threshold and KETREG_SHOW_SMALL_CELLS, for no viewer in particular."""
    settings = ketreg_settings.load()
    return Policy(threshold=settings.small_cell_threshold, show_exact=settings.show_small_cells)


@dataclass(frozen=True)
class Cells:
    """What in a frame rests on counts of people, courses, sessions or events, and how
    its counts relate.

    counts:     columns that are such counts themselves.
    rates:      column -> (x, n): a rate, or a bound of its interval, of x out of n,
                already in the frame (x is then also nested in n).
    resting_on: column -> counts: a statistic (a median, a limit) computed from those.
    quoting_counts: free text that may quote a count of its own (a check's failure
                message); shown to exact viewers only.
    site_column: the column naming the row's site ('ALL' for the network), if any.
    margins:    dimensions whose 'ALL' (or missing) rows total the others.
    keys:       the other columns that identify a row.
    per:        count -> the dimensions it varies with, when not all of them (the
                sessions of a route are the same on each effect's row).
    nested:     (part, whole) pairs of counts in a row.
    sums:       (total, parts) of counts in a row.
    """

    counts: tuple[str, ...] = ()
    rates: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    resting_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quoting_counts: tuple[str, ...] = ()
    site_column: str | None = "site_id"
    margins: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    per: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    nested: tuple[tuple[str, str], ...] = ()
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def all_nested(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.nested) | frozenset(self.rates.values())


# Frames about files, checks and definitions: nothing in them counts people.
NO_PATIENT_COUNTS = Cells(site_column=None)


def rate_columns(name: str, x: str, n: str) -> dict[str, tuple[str, str]]:
    """The rate and interval columns that dashboards.rates.add_rate writes for `name`."""
    return {f"{name}_rate": (x, n), f"{name}_ci_low": (x, n), f"{name}_ci_high": (x, n)}


@dataclass(frozen=True)
class SafeFrame:
    """A frame after suppression: hidden cells are missing values in `values` (for charts).

    `_exact` keeps the exact numbers for statistics derived after suppression
    (SafeFrame.derive): what is derived from a hidden cell is hidden too. It is
    never shown.
    """

    values: pd.DataFrame
    hidden: pd.DataFrame
    counts: tuple[str, ...]
    label: str
    small: pd.DataFrame = field(repr=False, default=None)
    _exact: pd.DataFrame = field(repr=False, default=None)
    nested: frozenset[tuple[str, str]] = frozenset()

    @property
    def empty(self) -> bool:
        return self.values.empty

    def __len__(self) -> int:
        return len(self.values)

    def display(self) -> pd.DataFrame:
        """For tables and CSV: a hidden count reads "<11" (or "*"), any other hidden cell
        is blank."""
        shown = self.values.copy()
        for column in self.counts:
            mask = self.hidden[column]
            if not mask.any() and pd.api.types.is_float_dtype(shown[column]):
                shown[column] = shown[column].round().astype("Int64")
            if mask.any():
                text = self.values[column].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
                small = self.small[column] if self.small is not None else mask
                labels = pd.Series(np.where(small, self.label, SECONDARY_LABEL),
                                   index=self.values.index)
                shown[column] = text.where(~mask, labels).astype("string")
        return shown

    def where(self, keep: pd.Series) -> SafeFrame:
        """The rows where `keep` is true (row filters after suppression keep it)."""
        keep = keep.astype(bool)
        return SafeFrame(self.values.loc[keep], self.hidden.loc[keep], self.counts, self.label,
                         None if self.small is None else self.small.loc[keep],
                         None if self._exact is None else self._exact.loc[keep], self.nested)

    def select(self, columns: list[str]) -> SafeFrame:
        """These columns only, in this order."""
        return SafeFrame(self.values[columns], self.hidden[columns],
                         tuple(c for c in self.counts if c in columns), self.label,
                         None if self.small is None else self.small[columns],
                         None if self._exact is None else self._exact[columns], self.nested)

    def drop(self, columns: Iterable[str]) -> SafeFrame:
        columns = [c for c in columns if c in self.values.columns]
        return self.select([c for c in self.values.columns if c not in columns])

    def reset_index(self) -> SafeFrame:
        def reset(frame):
            return None if frame is None else frame.reset_index(drop=True)
        return SafeFrame(reset(self.values), reset(self.hidden), self.counts, self.label,
                         reset(self.small), reset(self._exact), self.nested)

    def exact_column(self, column: str) -> pd.Series:
        """Exact values, for computing a statistic that SafeFrame.derive hides with its bases."""
        return self._exact[column]

    def derive(self, columns: Mapping[str, pd.Series], hidden_by: Mapping[str, pd.Series],
               counts: Iterable[str] = ()) -> SafeFrame:
        """Add derived columns: each is hidden where its `hidden_by` mask is true.

        `counts` names derived columns that are themselves counts (an alias of one).
        """
        exact = self._exact.copy() if self._exact is not None else self.values.copy()
        values, hidden = self.values.copy(), self.hidden.copy()
        small = self.small.copy() if self.small is not None else self.hidden.copy()
        for name, column in columns.items():
            column = pd.Series(column, index=self.values.index)
            mask = pd.Series(hidden_by[name], index=self.values.index).fillna(True).astype(bool)
            exact[name] = column
            hidden[name] = mask
            values[name] = _blank(column, mask) if mask.any() else column
            small[name] = mask & _small_mask(column, self.label)
        new_counts = tuple(dict.fromkeys([*self.counts, *counts]))
        return SafeFrame(values, hidden, new_counts, self.label, small, exact, self.nested)

    def hidden_any(self, columns: Iterable[str]) -> pd.Series:
        mask = pd.Series(False, index=self.values.index)
        for column in columns:
            mask |= self.hidden[column]
        return mask


def _small_mask(column: pd.Series, label: str) -> pd.Series:
    threshold = int(label.lstrip("<"))
    values = pd.to_numeric(column, errors="coerce")
    return ((values >= 1) & (values < threshold)).fillna(False).astype(bool)


def suppress(
    frame: pd.DataFrame, cells: Cells, policy: Policy | None = None, *, site: str | None = None,
    fixed: Mapping[tuple, bool] | None = None,
) -> SafeFrame:
    """Hide the small cells of `frame` by `cells`, and every cell that would reveal one.

    `site` is the site of a frame without a site column (for Policy.exact_sites).
    `fixed`: counts another frame on the same page shows too, by their key (see
    fixed_keys), with whether that frame hides them: here they are hidden alike, or
    known, so that the two frames cannot be played against each other.
    """
    policy = policy or current_policy()
    frame = frame.reset_index(drop=True)
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if not policy.show_exact and len(frame):
        hidden = _hidden_cells(frame, cells, policy, site, fixed or {})
    values = frame.copy()
    for column in frame.columns:
        if hidden[column].any():
            values[column] = _blank(values[column], hidden[column])
    small = hidden & pd.DataFrame({c: policy.is_small(frame[c]) if c in cells.counts
                                   else pd.Series(False, index=frame.index)
                                   for c in frame.columns}, index=frame.index)
    counts = tuple(c for c in cells.counts if c in frame.columns)
    return SafeFrame(values, hidden, counts, policy.label, small, frame, cells.all_nested)


def _blank(column: pd.Series, mask: pd.Series) -> pd.Series:
    # Numbers become floats with NaN, which every chart reads as "no point".
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64").mask(mask)
    return column.astype("object").mask(mask, None)


# --- the suppression problem ----------------------------------------------------------

KNOWN, CANDIDATE, PSEUDO = 0, 1, 2


def _is_all(value) -> bool:
    if isinstance(value, str):
        return value == ALL
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _norm(value):
    if _is_all(value):
        return ALL
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


class _Problem:
    """Variables (counts, complements, remainders) and the linear relations among them."""

    def __init__(self, frame: pd.DataFrame, cells: Cells, policy: Policy, site: str | None):
        self.policy = policy
        self.site_column = cells.site_column if cells.site_column in frame.columns else None
        self.dims = ([self.site_column] if self.site_column else []) + \
            [d for d in (*cells.margins, *cells.keys) if d in frame.columns]
        self.margins = ([self.site_column] if self.site_column else []) + \
            [d for d in cells.margins if d in frame.columns]
        self.counts = [c for c in cells.counts if c in frame.columns]
        self.wholes = {w for _, w in cells.all_nested} | {t for t, _ in cells.sums}
        self.per = cells.per
        # Remainders of the site margin (a patient seen at two sites): never sensitive.
        self.never_sensitive: set[int] = set()
        self.keys: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.value: list[float] = []
        self.status: list[int] = []
        self.site_of: list[object] = []
        self.dims_of: list[dict] = []
        self.cells_of: list[list[tuple[int, str]]] = []
        self.relations: list[dict[int, float]] = []
        self._relation_keys: set = set()
        norm = {d: [_norm(v) for v in frame[d]] for d in self.dims}
        row_site = norm[self.site_column] if self.site_column else [site] * len(frame)
        self.row_known = [s is not None and s in policy.exact_sites for s in row_site]
        self.row_vars: list[list[int]] = [[] for _ in range(len(frame))]
        numbers = {c: pd.to_numeric(frame[c], errors="coerce").fillna(0).to_numpy(float)
                   for c in self.counts}
        self.cell_var: dict[tuple[int, str], int] = {}
        # Rows that the declared dimensions do not tell apart (a list of files) are
        # told apart by their position.
        seen: dict[tuple, int] = defaultdict(int)
        self.row_key: list[tuple] = []
        for i in range(len(frame)):
            key = (row_site[i], *(norm[d][i] for d in self.dims if d != self.site_column))
            self.row_key.append((*key[1:], seen[key]) if seen[key] or not key[1:] else key[1:])
            seen[key] += 1
        if any(count > 1 for count in seen.values()):
            self.row_key = [(*key, i) for i, key in enumerate(self.row_key)]
        for column in self.counts:
            use = self._dims_for(column)
            for i in range(len(frame)):
                dims_key = self.row_key[i] if use is self.dims else \
                    tuple(norm[d][i] for d in use if d != self.site_column)
                key = ("count", column, row_site[i], dims_key)
                var = self._var(key, numbers[column][i], row_site[i],
                                {d: norm[d][i] for d in use})
                self.cells_of[var].append((i, column))
                self.cell_var[(i, column)] = var
                self.row_vars[i].append(var)
        self._margin_relations(len(frame), norm, row_site)
        self._row_relations(frame, cells, norm, row_site)

    # variables

    def _dims_for(self, column: str) -> list[str]:
        if column not in self.per:
            return self.dims
        return ([self.site_column] if self.site_column else []) + \
            [d for d in self.per[column] if d in self.dims]

    def _var(self, key: tuple, value: float, site, dims: dict, pseudo: bool = False) -> int:
        if key in self.index:
            return self.index[key]
        var = len(self.keys)
        self.index[key] = var
        self.keys.append(key)
        self.value.append(float(value))
        known = site is not None and site in self.policy.exact_sites
        if known:
            status = KNOWN
        elif pseudo:
            status = KNOWN if value == 0 else PSEUDO
        elif site == OTHERS:
            status = PSEUDO
        else:
            status = CANDIDATE
        self.status.append(status)
        self.site_of.append(site)
        self.dims_of.append(dims)
        self.cells_of.append([])
        return var

    def _relation(self, terms: dict[int, float]) -> None:
        terms = {v: c for v, c in terms.items() if c != 0}
        signature = tuple(sorted(terms.items()))
        if len(terms) < 2 or signature in self._relation_keys:
            return
        self._relation_keys.add(signature)
        self.relations.append(terms)

    # relations

    def _margin_relations(self, n_rows: int, norm: dict, row_site: list) -> None:
        for column in self.counts:
            use = self._dims_for(column)
            for dim in self.margins:
                if dim not in use:
                    continue
                rest = [d for d in use if d != dim]
                groups: dict[tuple, dict[str, list[int]]] = defaultdict(
                    lambda: {"total": [], "parts": []})
                for i in range(n_rows):
                    group = tuple(norm[d][i] for d in rest)
                    kind = "total" if norm[dim][i] == ALL else "parts"
                    groups[group][kind].append(self.cell_var[(i, column)])
                for group, members in groups.items():
                    totals = sorted(set(members["total"]))
                    parts = sorted(set(members["parts"]))
                    if len(totals) != 1 or not parts:
                        continue
                    total = totals[0]
                    terms = {total: 1.0}
                    for part in parts:
                        terms[part] = terms.get(part, 0.0) - 1.0
                    remainder = self.value[total] - sum(self.value[p] for p in parts)
                    if remainder != 0:
                        site = self.site_of[total]
                        rest_dims = dict(zip(rest, group, strict=True))
                        key = ("remainder", column, dim, site,
                               tuple(v for d, v in rest_dims.items() if d != self.site_column))
                        r = self._var(key, remainder, site, rest_dims, pseudo=True)
                        if dim == self.site_column:
                            self.never_sensitive.add(r)
                        terms[r] = -1.0
                    self._relation(terms)

    def _row_relations(self, frame: pd.DataFrame, cells: Cells, norm: dict,
                       row_site: list) -> None:
        pairs = [(w, (p,)) for p, w in sorted(cells.all_nested)
                 if p in self.counts and w in self.counts]
        sums = [(t, tuple(p for p in parts if p in self.counts)) for t, parts in cells.sums
                if t in self.counts]
        for i in range(len(frame)):
            dims = {d: norm[d][i] for d in self.dims}
            for whole, parts in pairs:
                w, p = self.cell_var[(i, whole)], self.cell_var[(i, parts[0])]
                key = ("complement", f"{whole}-{parts[0]}", row_site[i], self.row_key[i])
                c = self._var(key, self.value[w] - self.value[p], row_site[i], dims, pseudo=True)
                self._relation({w: 1.0, p: -1.0, c: -1.0})
            for total, parts in sums:
                t = self.cell_var[(i, total)]
                terms = {t: 1.0}
                for part in parts:
                    v = self.cell_var[(i, part)]
                    terms[v] = terms.get(v, 0.0) - 1.0
                remainder = self.value[t] - sum(self.value[self.cell_var[(i, p)]] for p in parts)
                if remainder != 0:
                    key = ("remainder", total, "+".join(parts), row_site[i], self.row_key[i])
                    terms[self._var(key, remainder, row_site[i], dims, pseudo=True)] = -1.0
                self._relation(terms)

    # sensitivity

    def private_values(self) -> np.ndarray:
        """What of each variable the viewer does not know: on a network row, less the
        same count of their own sites."""
        private = np.array(self.value, dtype=float)
        exact = self.policy.exact_sites
        for var, key in enumerate(self.keys):
            if self.status[var] == KNOWN:
                private[var] = 0.0
            elif exact and self.site_of[var] == ALL:
                own = 0.0
                for site in exact:
                    counterpart = self.index.get(_with_site(key, site))
                    if counterpart is not None:
                        own += self.value[counterpart]
                private[var] = self.value[var] - own
        return private


def _with_site(key: tuple, site) -> tuple:
    kind = key[0]
    if kind == "remainder":
        return (*key[:3], site, *key[4:])
    return (key[0], key[1], site, *key[3:])


def fixed_keys(frame: SafeFrame, cells: Cells, column: str) -> dict[tuple, bool]:
    """The keys of `column`'s counts in a suppressed frame, and whether each is hidden:
    for suppress(fixed=...) of another frame that shows the same counts."""
    values = frame._exact if frame._exact is not None else frame.values
    problem = _Problem(values, Cells(counts=(column,), site_column=cells.site_column,
                                     margins=cells.margins, keys=cells.keys,
                                     per={k: v for k, v in cells.per.items() if k == column}),
                       Policy(), None)
    return {key: bool(frame.hidden[column].iloc[problem.cells_of[var][0][0]])
            for var, key in enumerate(problem.keys) if key[0] == "count"}


def _hidden_cells(frame: pd.DataFrame, cells: Cells, policy: Policy,
                  site: str | None, fixed: Mapping[tuple, bool]) -> pd.DataFrame:
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    problem = _Problem(frame, cells, policy, site)
    forced = set()
    for var, key in enumerate(problem.keys):
        if key in fixed and problem.status[var] == CANDIDATE:
            if fixed[key]:
                forced.add(var)
            else:
                problem.status[var] = KNOWN
    if problem.counts:
        hidden_vars = _solve(problem, forced)
        for var in hidden_vars:
            for i, column in problem.cells_of[var]:
                hidden.at[i, column] = True
    for column, (x, n) in cells.rates.items():
        if column in frame.columns:
            hidden[column] = hidden[x] | hidden[n]
    for column, bases in cells.resting_on.items():
        if column in frame.columns:
            mask = pd.Series(False, index=frame.index)
            for base in bases:
                mask |= hidden[base]
            hidden[column] = mask
    for column in cells.quoting_counts:
        if column in frame.columns:
            hidden[column] = frame[column].notna()
    known_rows = pd.Series(problem.row_known, index=frame.index)
    hidden.loc[known_rows, :] = False
    return hidden


def _solve(problem: _Problem, forced: set[int] = frozenset()) -> set[int]:
    """The counts to hide: the sensitive ones, and enough others that none is derivable.

    Each round first peels: a relation with one unknown left pins it down, which may
    leave another relation with one unknown, and so on (subtraction chains: a total
    less its shown parts, a whole less its part). That is cheap and catches almost
    every derivation; the null space then catches the rest (combinations of
    relations), on what peeling left unknown.
    """
    private = problem.private_values()
    policy = problem.policy
    sensitive = np.array([problem.status[v] != KNOWN and v not in problem.never_sensitive
                          and policy.small(private[v])
                          for v in range(len(problem.keys))], dtype=bool)
    hidden = {v for v in range(len(problem.keys))
              if problem.status[v] == CANDIDATE and sensitive[v]} | set(forced)
    pseudo = {v for v in range(len(problem.keys)) if problem.status[v] == PSEUDO}
    relations_of: dict[int, list[int]] = defaultdict(list)
    for r, terms in enumerate(problem.relations):
        for var in terms:
            relations_of[var].append(r)
    affinity: dict[tuple, int] = defaultdict(int)
    rows_with_hidden: set[int] = set()

    def note(v: int) -> None:
        for i, _ in problem.cells_of[v]:
            rows_with_hidden.add(i)
        for d, value in problem.dims_of[v].items():
            if value != ALL:
                affinity[(d, value)] += 1

    for v in hidden:
        note(v)
    unknown = hidden | pseudo
    # How many unknowns each relation has, and the XOR of their numbers (with one left,
    # that is its number), kept up to date as cells are hidden: peeling and choosing
    # start from them, and recounting each round cost a second on a 300-row table at
    # 100,000 patients.
    unknown_in = [sum(1 for v in terms if v in unknown) for terms in problem.relations]
    unknown_xor = [functools.reduce(operator.xor, (v for v in terms if v in unknown), 0)
                   for terms in problem.relations]

    def hide(v: int) -> None:
        hidden.add(v)
        note(v)
        if v not in unknown:
            unknown.add(v)
            for r in relations_of[v]:
                unknown_in[r] += 1
                unknown_xor[r] ^= v

    for _ in range(_MAX_ROUNDS):
        peeled = _peel(relations_of, unknown_in, unknown_xor)
        violations = [v for v in peeled if sensitive[v]]
        if not violations:
            still = unknown - peeled
            determined = _determined(problem.relations, still, sensitive)
            violations = [v for v in determined if sensitive[v]]
            if not violations:
                return hidden
        violations.sort(key=lambda v: (problem.keys[v][1] not in problem.wholes,
                                       problem.value[v], repr(problem.keys[v])))
        touched: set[int] = set()
        progress = False
        for var in violations:
            if touched.intersection(relations_of[var]):
                continue
            chosen = _choose(problem, var, hidden, unknown, unknown_in, relations_of,
                             affinity, rows_with_hidden)
            if chosen is None:
                continue
            hide(chosen)
            touched.update(relations_of[var])
            touched.update(relations_of[chosen])
            progress = True
        if not progress:
            break
    # Could not protect every sensitive count by choosing cells: hide every one not known.
    return {v for v in range(len(problem.keys)) if problem.status[v] == CANDIDATE}


def _peel(relations_of: dict[int, list[int]], unknown_in: list[int],
          unknown_xor: list[int]) -> set[int]:
    """The unknowns that chains of relations with a single unknown left pin down, from
    each relation's count of unknowns and the XOR of their numbers."""
    remaining, xor = list(unknown_in), list(unknown_xor)
    stack = [r for r, count in enumerate(remaining) if count == 1]
    determined: set[int] = set()
    while stack:
        r = stack.pop()
        if remaining[r] != 1:
            continue
        var = xor[r]
        determined.add(var)
        for other in relations_of[var]:
            remaining[other] -= 1
            xor[other] ^= var
            if remaining[other] == 1:
                stack.append(other)
    return determined


def _choose(problem: _Problem, var: int, hidden: set[int], unknown: set[int],
            unknown_in: list[int], relations_of: dict[int, list[int]], affinity: dict[tuple, int],
            rows_with_hidden: set[int]) -> int | None:
    """The shown count to hide so that `var` is no longer derivable, nearest first.

    Preferred, in order: a count that would not at once be worked out again from a
    relation whose other members are all shown (hiding it would protect nothing); a
    detail row rather than a total; the same sites, routes, months ... as counts
    already hidden (so that hidden cells form rectangles that protect each other,
    rather than a scatter that does not); a row that already lost a cell; a part
    rather than its whole; non-zero; small.
    """
    def useless(v: int) -> bool:
        # v is shown (a candidate not hidden), so a relation of v with no unknown would
        # give v back at once.
        return any(unknown_in[r] == 0 for r in relations_of[v])

    def cost(v: int) -> tuple:
        rows = {i for i, _ in problem.cells_of[v]}
        dims = problem.dims_of[v]
        level = sum(1 for d, value in dims.items() if d in problem.margins and value == ALL)
        near = sum(affinity.get((d, value), 0) > 0 for d, value in dims.items() if value != ALL)
        return (level, -near, not (rows & rows_with_hidden),
                problem.keys[v][1] in problem.wholes, problem.value[v] == 0,
                problem.value[v], repr(problem.keys[v]))

    seen_relations: set[int] = set()
    frontier_vars = {var}
    fallback = None
    for _depth in range(6):
        relations = {r for v in frontier_vars for r in relations_of[v]} - seen_relations
        if not relations:
            break
        seen_relations |= relations
        candidates = {v for r in relations for v in problem.relations[r]
                      if problem.status[v] == CANDIDATE and v not in hidden}
        helpful = [v for v in candidates if not useless(v)]
        if helpful:
            return min(helpful, key=cost)
        if candidates and fallback is None:
            fallback = min(candidates, key=cost)
        frontier_vars = {v for r in relations for v in problem.relations[r] if v in unknown}
    return fallback


def _determined(relations: list[dict[int, float]], unknown: set[int],
                sensitive: np.ndarray | None = None) -> set[int]:
    """The unknown variables whose value the relations pin down, given every known one
    (only where it matters: components holding a sensitive unknown, when given)."""
    rows = []
    for terms in relations:
        row = {v: c for v, c in terms.items() if v in unknown}
        if row:
            rows.append(row)
    if not rows:
        return set()
    # A row with one unknown pins it down; a row with a variable found in no other row
    # constrains nothing else (that variable absorbs it) and is set aside.
    appearances: dict[int, int] = defaultdict(int)
    for row in rows:
        for v in row:
            appearances[v] += 1
    kept, absorbed = [], []
    for row in rows:
        lonely = [v for v in row if appearances[v] == 1]
        if len(lonely) == 1 and len(row) > 1:
            absorbed.append((lonely[0], {v: c for v, c in row.items() if v != lonely[0]}))
        else:
            kept.append(row)
    determined: set[int] = set()
    wanted = None
    if sensitive is not None:
        wanted = {v for row in kept for v in row if sensitive[v]}
        for lonely, rest in absorbed:
            if sensitive[lonely]:
                wanted.update(rest)
    null = _null_space_rows(kept, wanted)
    for v in {v for row in kept for v in row}:
        if v in null and _is_zero(null[v][1]):
            determined.add(v)
    for lonely, rest in absorbed:
        # Determined when the rest of its row is: a combination of null-space rows, summed
        # within each connected component.
        combined: dict[int, np.ndarray] = {}
        free = False
        for v, c in rest.items():
            if v not in null:  # in no kept row (or not computed): free
                free = True
                break
            component, basis = null[v]
            combined[component] = combined.get(component, 0) + c * basis
        if not free and all(_is_zero(vector) for vector in combined.values()):
            determined.add(lonely)
    return determined


def _is_zero(vector) -> bool:
    vector = np.asarray(vector, dtype=float)
    return vector.size == 0 or float(np.max(np.abs(vector))) < 1e-8


def _null_space_rows(rows: list[dict[int, float]],
                     wanted: set[int] | None = None) -> dict[int, tuple[int, np.ndarray]]:
    """For each variable of `rows` (of the components holding a `wanted` one): its
    connected component, and its row of a basis of the null space of that component's
    matrix."""
    parent: dict[int, int] = {}

    def find(v: int) -> int:
        while parent.setdefault(v, v) != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for row in rows:
        first = next(iter(row))
        for v in row:
            a, b = find(first), find(v)
            if a != b:
                parent[a] = b
    components: dict[int, list[dict[int, float]]] = defaultdict(list)
    for row in rows:
        components[find(next(iter(row)))].append(row)
    result: dict[int, tuple[int, np.ndarray]] = {}
    for component, component_rows in components.items():
        variables = sorted({v for row in component_rows for v in row})
        if wanted is not None and not wanted.intersection(variables):
            continue
        column = {v: j for j, v in enumerate(variables)}
        matrix = np.zeros((len(component_rows), len(variables)))
        for i, row in enumerate(component_rows):
            for v, c in row.items():
                matrix[i, column[v]] = c
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        tolerance = max(matrix.shape) * np.finfo(float).eps * (singular[0] if singular.size
                                                                else 0.0) * 10
        rank = int((singular > max(tolerance, 1e-9)).sum())
        basis = vt[rank:].T  # variables x nullity
        for v, j in column.items():
            result[v] = (component, basis[j])
    return result


def concat(frames: list[SafeFrame]) -> SafeFrame:
    """Suppressed frames one under the other (each keeps its own hidden cells)."""
    if not frames:
        raise ValueError("nothing to concatenate")
    first = frames[0]

    def stack(attribute: str) -> pd.DataFrame:
        return pd.concat([getattr(f, attribute) for f in frames], ignore_index=True)

    counts = tuple(dict.fromkeys(c for f in frames for c in f.counts))
    return SafeFrame(stack("values"), stack("hidden").fillna(False).astype(bool), counts,
                     first.label, stack("small").fillna(False).astype(bool), stack("_exact"),
                     frozenset().union(*(f.nested for f in frames)))
