"""Files loaded together in one batch end exactly as if each had been loaded alone.

A run's consecutive files of one entity go through the rules, the versions and
the commit as one batch (load.BATCH_BYTES). Each scenario below is a sequence
of export files whose later files correct, repeat or contradict the earlier
ones; the warehouse it leaves (raw rows with their files and load ids,
manifest rows, quarantine rows) must be the same whether the files come in
runs of their own, all in one run, or in one run with a batch per file.
"""

from __future__ import annotations

import pytest

from orchestration.defs.ingest import load
from tests.orchestration.defs.ingest.conftest import (
    ASSESSMENTS_HEADER,
    PATIENTS_HEADER,
    SESSIONS_HEADER,
    open_registry,
    phq9_rows,
    session_row,
)

PATIENT = [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05"]
VERSIONED = SESSIONS_HEADER + ",record_version"
ASSESSMENTS_VERSIONED = ASSESSMENTS_HEADER + ",record_version"


def _v(rows: list[str], version: int) -> list[str]:
    return [f"{row},{version}" for row in rows]


SCENARIOS = {
    # File names sort in the order the files are meant to arrive.
    "session versions": [
        ("sessions_ANC-01_2026-03-01.csv",
         [SESSIONS_HEADER, session_row("S-2"), session_row("S-1", dose="34")]),
        # S-1 at version 1 again with another dose, on an earlier line than in the first
        # file: a conflict, the first file's stays.
        ("sessions_ANC-01_2026-03-02.csv", [SESSIONS_HEADER, session_row("S-1", dose="99")]),
        # A correction, and S-2 resent unchanged, twice in the same file.
        ("sessions_ANC-01_2026-03-03.csv",
         [VERSIONED, session_row("S-1", dose="41") + ",2", session_row("S-2") + ",1",
          session_row("S-2") + ",1"]),
        # The correction again, one with other content, and a bad row.
        ("sessions_ANC-01_2026-03-04.csv",
         [VERSIONED, session_row("S-1", dose="41") + ",2", session_row("S-1", dose="42") + ",2",
          session_row("S-3", dose="x") + ",1"]),
    ],
    "administration versions": [
        ("assessments_ANC-01_2026-03-01.csv", [ASSESSMENTS_HEADER, *phq9_rows("A-1")]),
        # Version 2 of A-1, with one item row repeated (a no-op).
        ("assessments_ANC-01_2026-03-02.csv",
         [ASSESSMENTS_VERSIONED,
          *_v(phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, 0)), 2),
          *_v(phq9_rows("A-1", items=(1,)), 2)]),
        # Version 2 again, one item changed: a conflict for all its rows; A-2 is new.
        ("assessments_ANC-01_2026-03-03.csv",
         [ASSESSMENTS_VERSIONED,
          *_v(phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, 1)), 2),
          *_v(phq9_rows("A-2", when="2026-01-14 08:30"), 1)]),
        # A-2 resent as it was, A-1 version 2 as it was: unchanged.
        ("assessments_ANC-01_2026-03-04.csv",
         [ASSESSMENTS_VERSIONED,
          *_v(phq9_rows("A-2", when="2026-01-14 08:30"), 1),
          *_v(phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, 0)), 2)]),
        # A-3 whose total disagrees with its items, first here; then given right.
        ("assessments_ANC-01_2026-03-05.csv",
         [ASSESSMENTS_HEADER, *phq9_rows("A-3", when="2026-01-21 08:30", total=3)]),
        ("assessments_ANC-01_2026-03-06.csv",
         [ASSESSMENTS_HEADER, *phq9_rows("A-3", when="2026-01-21 08:30", total=18)]),
        # A-1 version 2 resent with an item missing: each row is one held, the
        # administration is not, so all its rows are a conflict.
        ("assessments_ANC-01_2026-03-07.csv",
         [ASSESSMENTS_VERSIONED,
          *_v(phq9_rows("A-1", items=(1, 1, 1, 1, 1, 1, 1, 1, None)), 2)]),
    ],
    "rejections and duplicates between loads": [
        ("sessions_ANC-01_2026-03-01.csv", [SESSIONS_HEADER, session_row("S-1")]),
        # The same bytes under another name while the first is still in its batch.
        ("sessions_ANC-01_2026-03-01_copy.csv", [SESSIONS_HEADER, session_row("S-1")]),
        ("sessions_ANC-01_2026-03-02.csv",
         [SESSIONS_HEADER + ",email", session_row("S-2") + ",a@b.org"]),
        ("sessions_ANC-01_2026-03-03.csv", [SESSIONS_HEADER.replace(",route", ""), "x"]),
        ("sessions_ANC-01_2026-03-04.csv", [SESSIONS_HEADER, session_row("S-1", dose="50"),
                                            session_row("S-4")]),
        ("sessions_ANC-01_2026-03-05.csv", b""),
    ],
}


def _ingest(registry, files, mode, monkeypatch):
    registry.drop("patients_ANC-01_2026-01-01.csv", PATIENT)
    registry.ingest()
    if mode == "a run each":
        for name, content in files:
            registry.drop(name, content)
            registry.ingest()
        return
    if mode == "one run, a batch each":
        monkeypatch.setattr(load, "BATCH_BYTES", 1)
    for name, content in files:
        registry.drop(name, content)
    registry.ingest()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_batch_leaves_what_runs_of_their_own_leave(scenario, tmp_path_factory,
                                                       monkeypatch):
    snapshots = {}
    for mode in ("a run each", "one run, one batch", "one run, a batch each"):
        registry = open_registry(tmp_path_factory.mktemp("home"))
        with monkeypatch.context() as patch:
            _ingest(registry, SCENARIOS[scenario], mode, patch)
        snapshots[mode] = registry.snapshot()
        registry.con.close()
    alone = snapshots.pop("a run each")
    # The scenario exercises what it is about: rows or files judged against earlier ones.
    statuses = {row[5] for row in alone["ops.ingest_manifest"]}
    assert alone["ops.quarantine"] and {"LOADED", "DUPLICATE"} & statuses
    for mode, snapshot in snapshots.items():
        for table, rows in alone.items():
            assert snapshot[table] == rows, f"{mode}: {table} differs"


def test_a_batch_records_each_file_with_its_own_counts(registry):
    registry.drop("patients_ANC-01_2026-01-01.csv", PATIENT)
    for name, content in SCENARIOS["session versions"]:
        registry.drop(name, content)
    outcomes = registry.ingest()
    assert [(o.file_name, o.rows_read, o.rows_loaded, o.rows_unchanged, o.rows_quarantined)
            for o in outcomes[1:]] == [
        ("sessions_ANC-01_2026-03-01.csv", 2, 2, 0, 0),
        ("sessions_ANC-01_2026-03-02.csv", 1, 0, 0, 1),
        ("sessions_ANC-01_2026-03-03.csv", 3, 3, 2, 0),
        ("sessions_ANC-01_2026-03-04.csv", 3, 1, 1, 2),
    ]
    # Each raw row names its own file and that file's load.
    assert registry.all(
        "select m.file_name, r.session_id, r.record_version, r.dose_mg from raw.sessions as r "
        "join ops.ingest_manifest as m on m.load_id = r._load_id "
        "and m.file_sha256 = r._file_sha256 order by all") == [
        ("sessions_ANC-01_2026-03-01.csv", "S-1", 1, 34.0),
        ("sessions_ANC-01_2026-03-01.csv", "S-2", 1, 34.0),
        ("sessions_ANC-01_2026-03-03.csv", "S-1", 2, 41.0),
    ]
