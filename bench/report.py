"""Write docs/performance.md from bench/out/results.json."""

from __future__ import annotations

from pathlib import Path

TARGETS = """\
| what | target |
|---|---|
| ingest step at L | within 3x the floor |
| cold run at L | within 3x the floor |
| incremental run at L | within 0.2x of the cold run |
| every page at L | p95 under 1 s |
| peak memory at L | under 4 GB |
| per-patient cold cost from M to L | grows by no more than 20% |
"""


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def tier_table(tiers: dict) -> str:
    lines = [
        "| tier | patients | rows | inbox MB | floor s | ingest s (x floor) | cold run s "
        "(x floor) | cold peak MB | incremental s, median day (x cold) | "
        "incremental s, own process (x cold) | follow-up day s, median (x cold) | "
        "cold ms / patient | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("S", "M", "L", "XL"):
        t = tiers.get(name)
        if not t:
            continue
        lines.append(
            f"| {name} | {t['patients']:,} | {t['rows']:,} | {t['inbox_mb']:,} | "
            f"{t['floor_s']} | {t['ingest_s']} ({_ratio(t['ingest_s'], t['floor_s'])}) | "
            f"{t['cold_s']} ({_ratio(t['cold_s'], t['floor_s'])}) | {t['cold_peak_mb']:,} | "
            f"{t['incremental_s']} ({t['incremental_s'] / t['cold_s']:.2f}x) | "
            f"{_own_process(t)} | {_follow_up(t)} | {1000 * t['cold_s'] / t['patients']:.2f} | "
            # One run measures the tiers it is asked for; the others keep their earlier figures.
            f"{t.get('measured_at', 'an earlier run')} |"
        )
    return "\n".join(lines)


def _own_process(t: dict) -> str:
    # Tiers measured before `ketreg worker` ran every run in its own process.
    seconds = t.get("incremental_own_process_s")
    return f"{seconds} ({seconds / t['cold_s']:.2f}x)" if seconds else "-"


def _follow_up(t: dict) -> str:
    # Tiers measured before the bench ran follow-up days.
    seconds = t.get("follow_up_s")
    return f"{seconds} ({seconds / t['cold_s']:.2f}x)" if seconds else "-"


def _bar_chart(title: str, axis: str, points: dict[str, float]) -> str:
    """A Mermaid bar chart (GitHub and most Markdown viewers draw it; no image to keep)."""
    names = ", ".join(points)
    values = ", ".join(f"{v:.2f}" for v in points.values())
    return (f'```mermaid\nxychart-beta\n    title "{title}"\n    x-axis [{names}]\n'
            f'    y-axis "{axis}"\n    bar [{values}]\n```')


def plots(tiers: dict) -> str:
    """How the run scales: against the floor, the incremental run, the cost per patient."""
    ordered = {name: tiers[name] for name in ("S", "M", "L", "XL") if name in tiers}
    if not ordered:
        return ""
    return "\n\n".join([
        _bar_chart("Cold run, times DuckDB's floor", "x floor",
                   {n: t["cold_s"] / t["floor_s"] for n, t in ordered.items()}),
        _bar_chart("Incremental run (0.2% more patients), times the cold run", "x cold",
                   {n: t["incremental_s"] / t["cold_s"] for n, t in ordered.items()}),
        _bar_chart("Cold run, milliseconds per patient", "ms",
                   {n: 1000 * t["cold_s"] / t["patients"] for n, t in ordered.items()}),
    ])


def page_table(tiers: dict) -> str:
    rows = []
    for name, t in tiers.items():
        for page, stats in sorted(t.get("pages", {}).items()):
            rows.append(f"| {name} | {page} | {stats['p50'] * 1000:.0f} | "
                        f"{stats['p95'] * 1000:.0f} |")
    if not rows:
        return "No page timings recorded yet."
    return "\n".join(["| tier | page | p50 ms | p95 ms |", "|---|---|---:|---:|", *rows])


def write_report(results: dict, path: Path) -> None:
    m = results["machine"]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else ""
    marker = "<!-- bench:start -->"
    head = text.split(marker)[0] if marker in text else "# Performance\n\n"
    body = f"""{marker}
Measured by `make bench` (`bench/run.py`) on {m['date']}: {m['cores']} cores, \
{m['memory_gb']} GiB, {m['cpu']}, Python {m['python']}, {m['os']}. The machine is
shared and noisy: read the ratios, each taken against a floor measured in the same run,
rather than the seconds.

Targets:

{TARGETS}
{tier_table(results['tiers'])}

{plots(results['tiers'])}

- **floor**: DuckDB alone loading the same files into one table each (`bench/floor.py`).
- **ingest**: the job's ingest step alone (`bench/ingest_step.py`): hashing, PHI gate,
  contract rules, versions, quarantine, manifest, archive copy and GX at the door.
- **cold run**: `ketreg run` on an empty `KETREG_HOME`, to a published snapshot: ingest,
  `dbt build`, the GX suites on the marts, publish. It runs on `ketreg worker`, started
  beforehand as a deployment starts it once (its ~7 s of imports are not a run's). Peak
  memory is the proportional set size (PSS) summed over the process trees of the command
  and of the worker (the run and its dbt build are the worker's children), sampled every
  0.2 s: a page a forked run shares with the worker counts once.
- **incremental**: one more export of about 0.2% of the network's patients, then
  `ketreg run` again on the worker; three such days in turn, and the median day is
  reported (each day's seconds are in bench/out/results.json), as one short run swings
  by a tenth here. These patients are new, their whole histories generated with another
  seed, so their rows lie together at the end of every table. **Follow-up day**: then
  three days of patients already held coming back, one new session and a PHQ-9 each for
  2% of the patients (~0.2% of the sessions, as the day above brings, but ten times its
  patients, whose rows lie all over the history; `bench/follow_up_day.py`), the median
  reported. **Own process**: a last new-patient day with the worker stopped, the run
  importing everything itself.

Dashboard pages, server-side render time (Streamlit AppTest on the published snapshot):

{page_table(results['tiers'])}
<!-- bench:end -->
"""
    tail = text.split("<!-- bench:end -->", 1)[1] if "<!-- bench:end -->" in text else ""
    path.write_text(head + body + tail)
