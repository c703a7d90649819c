"""The PHI value probe gives the same verdict whichever query it picks for a file's size."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.defs.ingest import phi_gate

SMALL = phi_gate._DISTINCT_PROBES_MIN_ROWS - 1  # one pass over the rows
LARGE = phi_gate._DISTINCT_PROBES_MIN_ROWS  # each column's distinct values


def _incoming(rows: int, planted: dict[str, tuple[int, str]]) -> duckdb.DuckDBPyConnection:
    """A file read as text: `site` repeats one value, `notes` a few, `row_id` none."""
    con = duckdb.connect()
    con.execute(
        "create table incoming as select 'KC-01' as site, 'called back ' || (i % 3) as notes, "
        "'S-' || i as row_id from range(?) as t(i)", [rows])
    for column, (row, value) in planted.items():
        con.execute(f"update incoming set {column} = ? where row_id = ?", [value, f"S-{row}"])
    return con


@pytest.mark.parametrize("rows", [SMALL, LARGE])
def test_one_identifier_among_repeated_values_is_found(rows):
    con = _incoming(rows, {"notes": (rows - 7, "jane.doe@example.org"),
                           "row_id": (3, "123-45-6789")})
    assert phi_gate.columns_with_identifier_values(con, "incoming", ["site", "notes", "row_id"]) \
        == {"email address": ["notes"], "SSN": ["row_id"]}


@pytest.mark.parametrize("rows", [SMALL, LARGE])
def test_a_clean_file_has_no_identifier_values(rows):
    con = _incoming(rows, {})
    assert phi_gate.columns_with_identifier_values(con, "incoming", ["site", "notes", "row_id"]) \
        == {}


def test_a_wide_large_file_is_probed_too():
    # More columns than distinct-value subqueries are planned for: one pass over the rows.
    con = _incoming(LARGE, {})
    wide = [f"extra_{i}" for i in range(phi_gate._DISTINCT_PROBES_MAX + 1)]
    for c in wide:
        con.execute(f"alter table incoming add column {c} varchar default 'x'")
    con.execute("update incoming set extra_40 = '+44 20 7946 0958' where row_id = 'S-9000'")
    assert phi_gate.columns_with_identifier_values(con, "incoming", wide) \
        == {"phone number": ["extra_40"]}
