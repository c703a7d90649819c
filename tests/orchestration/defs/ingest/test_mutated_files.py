"""Property: a randomly mutated valid file never crashes the ingest, and always balances."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.defs.ingest import inbox, load
from tests.orchestration.defs.ingest.conftest import (
    ASSESSMENTS_HEADER,
    SESSIONS_HEADER,
    phq9_rows,
    session_row,
)

VALID = {
    "sessions_ANC-01_2026-03-01.csv": "\n".join(
        [SESSIONS_HEADER, *(session_row(f"S-{i}", dose=str(30 + i)) for i in range(6))]) + "\n",
    "assessments_ANC-01_2026-03-01.csv": "\n".join(
        [ASSESSMENTS_HEADER, *phq9_rows("A-1", total=18), *phq9_rows("A-2")]) + "\n",
}

_noise = st.text(alphabet=st.sampled_from(list('a9,;"\n\r -:.T@+éZ\x00\t')), max_size=12)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(VALID)))
    text = VALID[name]
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        match draw(st.sampled_from(["insert", "delete", "replace", "truncate", "repeat_line"])):
            case "insert":
                text = text[:position] + draw(_noise) + text[position:]
            case "delete":
                text = text[:position] + text[position + draw(st.integers(1, 8)):]
            case "replace":
                text = text[:position] + draw(_noise) + text[position + draw(st.integers(1, 8)):]
            case "truncate":
                text = text[:position]
            case "repeat_line":
                lines = text.split("\n")
                i = draw(st.integers(0, len(lines) - 1))
                text = "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])
    raw = text.encode("utf-8")
    if draw(st.booleans()) and raw:
        # Occasionally break the encoding too.
        cut = draw(st.integers(0, len(raw) - 1))
        raw = raw[:cut] + draw(st.binary(min_size=1, max_size=3)) + raw[cut:]
    return name, raw


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_mutated_file_is_rejected_or_balances(tmp_path_factory, case):
    name, content = case
    home: Path = tmp_path_factory.mktemp("home")
    (home / "inbox").mkdir()
    (home / "inbox" / name).write_bytes(content)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        load.ensure_warehouse(con)
        files = [inbox.fingerprint(path) for path in inbox.settled_files(home / "inbox")]
        list(load.ingest_files(con, files, rejected_dir=home / "rejected",
                               archive_dir=home / "archive", run_id="fuzz",
                               loaded_at=datetime(2026, 3, 2)))
        status, read, loaded, quarantined, unchanged, entity = con.execute(
            "select status, rows_read, rows_loaded, rows_quarantined, rows_unchanged, entity "
            "from ops.ingest_manifest").fetchone()
        assert read == loaded + quarantined
        if status == "LOADED":
            (in_raw,) = con.execute(f"select count(*) from raw.{entity}").fetchone()
            (in_quarantine,) = con.execute("select count(*) from ops.quarantine").fetchone()
            assert in_raw == loaded - unchanged
            assert in_quarantine == quarantined
        else:
            assert status in {"REJECTED_SCHEMA", "REJECTED_PHI"}
            assert (read, loaded, quarantined) == (0, 0, 0)
    finally:
        con.close()
