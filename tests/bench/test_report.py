"""docs/performance.md as `make bench` writes it: the tier table, the plots, the pages."""

from __future__ import annotations

from bench.report import plots, tier_table, write_report

TIERS = {
    "S": {"patients": 500, "rows": 60_000, "inbox_mb": 5.0, "floor_s": 1.0, "ingest_s": 5.0,
          "cold_s": 40.0, "cold_peak_mb": 800, "incremental_s": 30.0, "pages": {
              "Overview": {"p50": 0.2, "p95": 0.3}}},
    "L": {"patients": 100_000, "rows": 10_000_000, "inbox_mb": 800.0, "floor_s": 10.0,
          "ingest_s": 40.0, "cold_s": 150.0, "cold_peak_mb": 2500, "incremental_s": 60.0,
          "incremental_own_process_s": 75.0, "follow_up_s": 90.0,
          "measured_at": "2026-11-27 09:00",
          "pages": {"Overview": {"p50": 0.6, "p95": 0.9}}},
}


def test_each_tier_is_read_against_its_own_floor_and_cold_run():
    table = tier_table(TIERS)
    assert "| L | 100,000 | 10,000,000 | 800.0 | 10.0 | 40.0 (4.0x) | 150.0 (15.0x) | 2,500 | " \
           "60.0 (0.40x) | 75.0 (0.50x) | 90.0 (0.60x) | 1.50 | 2026-11-27 09:00 |" in table
    # A tier measured before the worker has no own-process day, before the follow-up days
    # none of those, and no date of its own.
    assert "| 30.0 (0.75x) | - | - | 80.00 | an earlier run |" in table


def test_the_plots_show_the_ratios_by_tier():
    charts = plots(TIERS)
    assert charts.count("```mermaid") == 3
    assert 'title "Cold run, times DuckDB\'s floor"' in charts
    assert "x-axis [S, L]" in charts
    assert "bar [40.00, 15.00]" in charts  # cold / floor
    assert "bar [0.75, 0.40]" in charts  # incremental / cold
    assert "bar [80.00, 1.50]" in charts  # ms per patient


def test_the_report_replaces_only_its_own_section(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nWhat was done.\n\n<!-- bench:start -->\nSTALE FIGURES\n"
                   "<!-- bench:end -->\n")
    machine = {"date": "2026-11-27", "cores": 2, "memory_gb": 24, "cpu": "x86_64",
               "python": "3.11.7", "os": "Linux"}

    write_report({"machine": machine, "tiers": TIERS}, doc)

    text = doc.read_text()
    assert text.startswith("# Performance\n\nWhat was done.\n\n<!-- bench:start -->")
    assert "STALE FIGURES" not in text and "| L | Overview | 600 | 900 |" in text
