"""A brute-force attacker on what the dashboards let a viewer download.

It is given, for one viewer and one page, the CSV of every download of every
view the viewer can pick (the network and each site they may see), reads each
"<11", "*" or blank as unknown, and works out whatever it can:

- a total less its shown parts (a route, an indication, a month, a category,
  a site: every 'ALL' row of a download, and the network's view less the
  sites' views);
- a rate times its denominator (and a count over its rate);
- a whole less its part (ITT courses less completers: courses without an
  endpoint), and rows read less rows loaded;
- the same count shown twice (the sessions of a route on each effect's row,
  the denominator of a rate);
- a p-chart's centre line times the months' denominators;
- the change-from-baseline bins against the completers of the outcome table;
- the network's view less the viewer's own sites: the other sites' count.

chaining each finding into the next until nothing new comes out. Then a leak
is any count of 1-10 of someone else's patients it holds: shown, re-derived,
or derived (a complement, a difference), checked against the exact values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

HIDDEN = ("<11", "*", "")


@dataclass(frozen=True)
class Table:
    """How a download's columns relate. Columns not named are descriptions."""

    dims: tuple[str, ...]
    margins: tuple[str, ...] = ()
    additive: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()  # every count column, additive or not
    nested: tuple[tuple[str, str], ...] = ()  # (part, whole)
    rates: dict = field(default_factory=dict)  # column -> (x, n, scale)
    per: dict = field(default_factory=dict)  # count -> the dims it varies with
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()


_OUTCOME = Table(
    dims=("route", "indication"), margins=("route", "indication"),
    additive=("n_itt_courses", "n_completer_courses", "n_responders", "n_remitters",
              "n_courses"),
    counts=("n_itt_courses", "n_completer_courses", "n_responders", "n_remitters", "n_courses"),
    nested=(("n_completer_courses", "n_itt_courses"), ("n_responders", "n_completer_courses"),
            ("n_remitters", "n_completer_courses"), ("n_responders", "n_itt_courses"),
            ("n_remitters", "n_itt_courses")),
    rates={"response_rate": ("n_responders", "n_courses", 1), "remission_rate":
           ("n_remitters", "n_courses", 1), "follow_up_rate": ("n_completer_courses",
                                                               "n_itt_courses", 1)},
)
_SIDE_EFFECTS = Table(
    dims=("route", "effect"), margins=("route",),
    additive=("n_sessions", "n_sessions_with_effect", "n_courses", "n_courses_with_effect"),
    counts=("n_sessions", "n_sessions_with_effect", "n_courses", "n_courses_with_effect"),
    nested=(("n_sessions_with_effect", "n_sessions"), ("n_courses_with_effect", "n_courses")),
    rates={"session_rate": ("n_sessions_with_effect", "n_sessions", 1),
           "course_rate": ("n_courses_with_effect", "n_courses", 1)},
    per={"n_sessions": ("route",), "n_courses": ("route",)},
)
_EVENTS = Table(
    dims=("category", "severity"), margins=("category", "severity"),
    additive=("n_events",), counts=("n_events", "n_patients", "n_sessions"),
    rates={"events_per_1000_sessions": ("n_events", "n_sessions", 1000)},
    per={"n_sessions": ()},
)
_MONTHLY = Table(dims=("month",), additive=("x", "n"), counts=("x", "n"),
                 nested=(("x", "n"),), rates={"p": ("x", "n", 1)})
_COMPLETENESS = Table(
    dims=("site_id",), additive=("n_courses", "n_courses_with_baseline", "n_itt_courses",
                                 "n_completer_courses"),
    counts=("n_courses", "n_courses_with_baseline", "n_itt_courses", "n_completer_courses"),
    nested=(("n_courses_with_baseline", "n_courses"), ("n_itt_courses", "n_courses"),
            ("n_completer_courses", "n_itt_courses")),
    rates={"baseline_captured_rate": ("n_courses_with_baseline", "n_courses", 1),
           "endpoint_captured_rate": ("n_completer_courses", "n_itt_courses", 1)},
)

# download name -> (family: downloads of the same data share their cells, Table)
TABLES: dict[str, tuple[str, Table]] = {
    "outcome_rates": ("outcome_rates", _OUTCOME),
    "response_by_route_and_indication": ("outcome_rates", _OUTCOME),
    "remission_by_route_and_indication": ("outcome_rates", _OUTCOME),
    "network_outcome_rates": ("network_outcome_rates", Table(
        dims=("denominator",), additive=(),
        counts=("n_itt_courses", "n_completer_courses", "n_responders", "n_remitters",
                "n_courses"),
        nested=_OUTCOME.nested, rates=_OUTCOME.rates,
        per={"n_itt_courses": (), "n_completer_courses": (), "n_responders": (),
             "n_remitters": ()})),
    "courses_by_month": ("courses_by_month", Table(
        dims=("month",), additive=("n_courses", "n_patients"),
        counts=("n_courses", "n_patients"))),
    "recent_safety_flags": ("recent_safety_flags", Table(
        dims=("reason", "level"), margins=("reason", "level"), additive=("n_flags",),
        counts=("n_flags", "n_patients"))),
    "trajectories": ("trajectories", Table(dims=("route", "week"), additive=("n_courses",),
                                           counts=("n_courses",))),
    "change_from_baseline": ("change_from_baseline", Table(
        dims=("bin_label",), margins=("bin_label",), additive=("n_courses",),
        counts=("n_courses",))),
    "side_effect_rates": ("side_effects", _SIDE_EFFECTS),
    "side_effects_per_session": ("side_effects", _SIDE_EFFECTS),
    "side_effects_per_course": ("side_effects", _SIDE_EFFECTS),
    "bp_excursions_and_early_terminations": ("side_effects", _SIDE_EFFECTS),
    "adverse_event_rates": ("adverse_events", _EVENTS),
    "adverse_events_per_1000": ("adverse_events", _EVENTS),
    "serious_adverse_events": ("serious_adverse_events", Table(
        dims=("category", "severity"), margins=("category",), additive=("n_events",),
        counts=("n_events", "n_patients", "n_sessions"), rates=_EVENTS.rates,
        per={"n_sessions": ()})),
    "dissociation_by_route": ("dissociation_by_route", Table(
        dims=("route",), additive=("n_sessions",), counts=("n_sessions",))),
    "dissociation_by_route_table": ("dissociation_by_route", Table(
        dims=("route",), additive=("n_sessions",), counts=("n_sessions",))),
    "dissociation_by_dose": ("dissociation_by_dose", Table(
        dims=("route", "dose_bin_mg_per_kg"), additive=("n_sessions",),
        counts=("n_sessions",))),
    "p_chart_itt_response": ("p_chart_itt_response", _MONTHLY),
    "p_chart_itt_response_signals": ("p_chart_itt_response", _MONTHLY),
    "p_chart_bp_excursions": ("p_chart_bp_excursions", _MONTHLY),
    "p_chart_bp_excursions_signals": ("p_chart_bp_excursions", _MONTHLY),
    "completeness_by_site": ("completeness_by_site", _COMPLETENESS),
    "endpoint_captured_by_site": ("completeness_by_site", _COMPLETENESS),
    "baseline_captured_by_month": ("completeness_by_month", Table(
        dims=("month",), additive=_COMPLETENESS.additive, counts=_COMPLETENESS.counts,
        nested=_COMPLETENESS.nested, rates=_COMPLETENESS.rates)),
    "orphans_by_site": ("orphans_by_site", Table(
        dims=("site_id",), additive=("n_orphan_sessions", "n_orphan_administrations",
                                     "n_orphan_adverse_events",
                                     "n_administrations_not_scorable", "n_quarantined_rows"),
        counts=("n_orphan_sessions", "n_orphan_administrations", "n_orphan_adverse_events",
                "n_administrations_not_scorable", "n_quarantined_rows"))),
    "recent_files": ("recent_files", Table(
        dims=("loaded_at", "file_name"), counts=("rows_read", "rows_loaded",
                                                 "rows_quarantined"),
        sums=(("rows_read", ("rows_loaded", "rows_quarantined")),))),
    "files_by_status": ("files_by_status", Table(
        dims=("day", "status"), counts=("rows_read", "rows_loaded", "rows_quarantined"),
        sums=(("rows_read", ("rows_loaded", "rows_quarantined")),))),
    "quarantine": ("quarantine", Table(dims=("entity", "reason"), counts=("n_rows",))),
    "quarantine_by_reason": ("quarantine", Table(dims=("entity", "reason"), counts=("n_rows",))),
}
# Downloads without counts of patients (or with none this attacker could use).
NO_COUNTS = {"freshness", "site_freshness", "safety_flags", "definitions", "instrument_catalog",
             "indication_primary_instrument", "severity_bands", "session_effects",
             "adverse_event_categories", "gx_results", "dbt_test_results"}


def number(text: str) -> float | None:
    if text in HIDDEN:
        return None
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class Finding:
    what: str
    scope: str
    family: str
    key: tuple
    column: str
    value: float
    private: float

    def __str__(self) -> str:
        return (f"{self.what}: {self.family}{list(self.key)}.{self.column} = {self.value:g} "
                f"in view {self.scope} (someone else's part: {self.private:g})")


class Attacker:
    """views: scope -> download name -> CSV frame (text). truth: the same, exact, for
    every scope. own: the viewer's own sites (empty for the network role)."""

    def __init__(self, views: dict[str, dict[str, object]], truth: dict[str, dict[str, object]],
                 own: tuple[str, ...], threshold: int = 11):
        self.views, self.truth, self.own, self.threshold = views, truth, own, threshold
        self.known: dict[tuple, float] = {}
        self.shown: set[tuple] = set()
        self.unknown: set[tuple] = set()
        self.equations: list[dict[tuple, float]] = []
        self.rate_facts: list[tuple[tuple, tuple, float, float]] = []  # rate var, x, n, scale
        self.tables: dict[tuple, Table] = {}
        self.rows: dict[tuple, set[tuple]] = defaultdict(set)  # (scope, family) -> keys
        self.aliases: list[tuple[tuple, tuple]] = []
        self._read()

    # reading what is shown

    def _var(self, scope, family, table: Table, row: dict, column: str) -> tuple:
        dims = table.per.get(column, table.dims)
        return (scope, family, tuple((d, row[d]) for d in dims if d in row), column)

    def _read(self) -> None:
        for scope, downloads in self.views.items():
            for name, frame in downloads.items():
                if name not in TABLES:
                    continue
                family, table = TABLES[name]
                self.tables[(scope, family)] = table
                for row in frame.to_dict("records"):
                    full = self._var(scope, family, table, row, "")[2]
                    self.rows[(scope, family)].add(full)
                    if "denominator" in row and "n_courses" in row:
                        # n_courses is the ITT or the completer count of its row
                        source = ("n_itt_courses" if row["denominator"] == "ITT"
                                  else "n_completer_courses")
                        self.aliases.append((self._var(scope, family, table, row, "n_courses"),
                                             self._var(scope, family, table, row, source)))
                    for column in table.counts:
                        if column not in row:
                            continue
                        var = self._var(scope, family, table, row, column)
                        value = number(row[column])
                        if value is None:
                            if var not in self.known:
                                self.unknown.add(var)
                        else:
                            self.known[var] = value
                            self.shown.add(var)
                            self.unknown.discard(var)
                    for column, (x, n, scale) in table.rates.items():
                        if column in row and x in row and n in row:
                            rate = number(row[column])
                            if rate is not None:
                                self.rate_facts.append((
                                    self._var(scope, family, table, row, x),
                                    self._var(scope, family, table, row, n), rate, scale))
        self._equations()

    def _equations(self) -> None:
        for a, b in self.aliases:
            self.equations.append({a: 1.0, b: -1.0})
        for (scope, family), table in self.tables.items():
            keys = self.rows[(scope, family)]
            for column in table.additive:
                for dim in table.margins:
                    if dim not in table.per.get(column, table.dims):
                        continue
                    groups: dict[tuple, dict] = defaultdict(lambda: {"total": None, "parts": []})
                    for key in keys:
                        items = dict(key)
                        rest = tuple((d, v) for d, v in key if d != dim)
                        if items[dim] == "ALL":
                            groups[rest]["total"] = key
                        else:
                            groups[rest]["parts"].append(key)
                    for group in groups.values():
                        if group["total"] is None or not group["parts"]:
                            continue
                        terms = {self._key_var(scope, family, table, group["total"], column): 1.0}
                        for part in group["parts"]:
                            var = self._key_var(scope, family, table, part, column)
                            terms[var] = terms.get(var, 0.0) - 1.0
                        self.equations.append(terms)
            for total, parts in table.sums:
                for key in keys:
                    terms = {self._key_var(scope, family, table, key, total): 1.0}
                    for part in parts:
                        terms[self._key_var(scope, family, table, key, part)] = -1.0
                    self.equations.append(terms)
        # the network's view is the sum of every site's view (a network viewer sees them all)
        sites = [s for s in self.views if s != "ALL"]
        if not self.own and sites and "ALL" in self.views:
            for (scope, family), table in list(self.tables.items()):
                if scope != "ALL":
                    continue
                for key in self.rows[("ALL", family)]:
                    for column in table.additive:
                        terms = {self._key_var("ALL", family, table, key, column): 1.0}
                        for site in sites:
                            var = self._key_var(site, family, table, key, column)
                            if (site, family) in self.tables and key in self.rows[(site, family)]:
                                terms[var] = terms.get(var, 0.0) - 1.0
                        self.equations.append(terms)
        # the change-from-baseline bins add up to the completers of the outcome table
        for scope in self.views:
            if ("change_from_baseline" not in self.views[scope]
                    or "outcome_rates" not in self.views[scope]):
                continue
            outcome = self.views[scope]["outcome_rates"]
            network = outcome[(outcome["route"] == "ALL") & (outcome["indication"] == "ALL")]
            if len(network) != 1 or "," in network["primary_instruments"].iloc[0]:
                continue
            table = TABLES["change_from_baseline"][1]
            terms = {self._key_var(scope, "outcome_rates", _OUTCOME,
                                   (("route", "ALL"), ("indication", "ALL")),
                                   "n_completer_courses"): 1.0}
            for key in self.rows[(scope, "change_from_baseline")]:
                if dict(key)["bin_label"] != "ALL":
                    terms[self._key_var(scope, "change_from_baseline", table, key,
                                        "n_courses")] = -1.0
            self.equations.append(terms)

    def _key_var(self, scope, family, table: Table, key: tuple, column: str) -> tuple:
        items = dict(key)
        dims = table.per.get(column, table.dims)
        var = (scope, family, tuple((d, items[d]) for d in dims if d in items), column)
        if var not in self.known and var not in self.unknown:
            self.known[var] = 0.0  # a row that is not there holds nothing
        return var

    # working things out

    def solve(self) -> dict[tuple, float]:
        derived: dict[tuple, float] = {}
        changed = True
        while changed:
            changed = False
            for terms in self.equations:
                missing = [v for v in terms if v not in self.known]
                if len(missing) != 1:
                    continue
                var = missing[0]
                value = -sum(c * self.known[v] for v, c in terms.items() if v != var) / terms[var]
                self.known[var] = derived[var] = round(value)
                changed = True
            for x, n, rate, scale in self.rate_facts:
                if x not in self.known and n in self.known:
                    self.known[x] = derived[x] = round(rate * self.known[n] / scale)
                    changed = True
                elif n not in self.known and x in self.known and rate > 0:
                    self.known[n] = derived[n] = round(self.known[x] * scale / rate)
                    changed = True
            changed |= self._p_charts(derived)
        return derived

    def _p_charts(self, derived: dict) -> bool:
        """The centre line is every month's x over every month's n."""
        changed = False
        for scope, downloads in self.views.items():
            for name in ("p_chart_itt_response", "p_chart_bp_excursions"):
                frame = downloads.get(name)
                if frame is None or frame.empty or "centre" not in frame:
                    continue
                centre = number(frame["centre"].iloc[0])
                if centre is None:
                    continue
                table = TABLES[name][1]
                xs = [self._var(scope, name, table, r, "x") for r in frame.to_dict("records")]
                ns = [self._var(scope, name, table, r, "n") for r in frame.to_dict("records")]
                if all(n in self.known for n in ns):
                    total_x = round(centre * sum(self.known[n] for n in ns))
                    missing = [x for x in xs if x not in self.known]
                    if len(missing) == 1:
                        value = total_x - sum(self.known[x] for x in xs if x in self.known)
                        self.known[missing[0]] = derived[missing[0]] = value
                        changed = True
                if all(x in self.known for x in xs) and centre > 0:
                    total_n = round(sum(self.known[x] for x in xs) / centre)
                    missing = [n for n in ns if n not in self.known]
                    if len(missing) == 1:
                        value = total_n - sum(self.known[n] for n in ns if n in self.known)
                        self.known[missing[0]] = derived[missing[0]] = value
                        changed = True
        return changed

    # what it found

    def true_value(self, scope: str, family: str, key: tuple, column: str) -> float | None:
        downloads = self.truth.get(scope, {})
        for name, (fam, table) in TABLES.items():
            if fam != family or name not in downloads:
                continue
            for row in downloads[name].to_dict("records"):
                if column not in row:
                    continue
                if self._var(scope, family, table, row, column)[2] == key:
                    return number(row[column])
        return 0.0

    def private(self, scope: str, family: str, key: tuple, column: str) -> float:
        """The part of a count that is someone else's: all of it for the network role; for
        a site role, nothing in their own site's view, and the network's value less their
        own sites' in the network's view."""
        value = self.true_value(scope, family, key, column) or 0.0
        if not self.own:
            return value
        if scope in self.own:
            return 0.0
        return value - sum(self.true_value(site, family, key, column) or 0.0
                           for site in self.own)

    def small(self, value: float) -> bool:
        return 1 <= value < self.threshold

    def leaks(self) -> tuple[list[Finding], list[Finding]]:
        """(leaks: small counts of others' patients the viewer holds, re-derived cells:
        any hidden count worked out exactly)."""
        derived = self.solve()
        leaks, rederived = [], []
        for var in self.shown:
            scope, family, key, column = var
            private = self.private(scope, family, key, column)
            if self.small(private):
                leaks.append(Finding("shown", scope, family, key, column, self.known[var],
                                     private))
        for var, value in derived.items():
            scope, family, key, column = var
            if var not in self.unknown:
                continue
            truth = self.true_value(scope, family, key, column)
            if truth is None or value != truth:
                continue  # a wrong guess is no disclosure
            finding = Finding("re-derived", scope, family, key, column, value,
                              self.private(scope, family, key, column))
            rederived.append(finding)
            if self.small(finding.private):
                leaks.append(finding)
        leaks.extend(self._complements())
        return leaks, rederived

    def _complements(self) -> list[Finding]:
        found = []
        for (scope, family), table in self.tables.items():
            for key in self.rows[(scope, family)]:
                for part, whole in table.nested:
                    p = self._key_var(scope, family, table, key, part)
                    w = self._key_var(scope, family, table, key, whole)
                    if p in self.known and w in self.known and (p in self.shown or w in
                                                                 self.shown):
                        items = dict(key)
                        true_p = self.private(scope, family, p[2], part)
                        true_w = self.private(scope, family, w[2], whole)
                        private = true_w - true_p
                        value = self.known[w] - self.known[p]
                        if self.small(private) and value == (
                                (self.true_value(scope, family, w[2], whole) or 0)
                                - (self.true_value(scope, family, p[2], part) or 0)):
                            found.append(Finding(f"{whole} - {part}", scope, family,
                                                 tuple(items.items()), whole, value, private))
        return found
