"""Incremental runs give exactly what a full rebuild gives.

The hand-made network of test_dbt_build.py is loaded as load 1 and built.
Then the next day's export arrives, four files and four loads: corrected
versions, withdrawals, a late patient whose orphans now join, a session filed
under the wrong patient and moved, a withdrawn patient, a new course for an
existing patient, new scores that change an endpoint, a withdrawn
administration, a new and a corrected adverse event, a new patient. An
incremental `dbt build` over that must leave every model exactly as a
`dbt build --full-refresh` of the same raw data does, row for row, and it
must have redone only the patients the loads touched.

Changing a definition (a var) must redo every patient, not only the touched
ones: the same comparison under `--vars`.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.defs.transform.definition_nodes import DefinitionNodes
from tests.dbt_project.test_dbt_build import (
    DBT_PROJECT,
    IN_ESK,
    PHQ9,
    A,
    B,
    _adverse_event,
    _assessment,
    _patient,
    _session,
    build_fixture_warehouse,
    one,
    rows,
    run_dbt,
)

SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")

# Bookkeeping that legitimately differs between an incremental run and a full
# rebuild: which build wrote a row, and when the build ran.
IGNORED_COLUMNS = {"_through_load_id", "built_at_utc"}


def _withdrawn(rows_: list[dict], version: int) -> list[dict]:
    """The same rows at a higher version, withdrawn (entered_in_error)."""
    return [{**row, "record_version": version, "entered_in_error": True} for row in rows_]


# The next day's export: one file per entity, each its own load (2 to 5).
NEXT_DAY_SESSIONS = [
    # Corrected version: a day later, IM instead of IV, nausea instead of headache.
    _session("S-A02-2", "pat-a02", A, "2026-01-15 10:00", route="IM", side_effects="NAUSEA",
             version=2),
    # Every session of pat-a07 withdrawn: the patient keeps assessments but has no course.
    *_withdrawn([_session("S-A07-1", "pat-a07", A, "2026-01-05 10:00"),
                 _session("S-A07-2", "pat-a07", A, "2026-03-06 10:00")], version=2),
    # Filed under the wrong patient: S-B02-1 belongs to pat-b03. pat-b02 loses its only
    # session (and course); pat-b03's course now starts on 2026-02-10.
    {**_session("S-B02-1", "pat-b03", B, "2026-02-10 10:00", **IN_ESK), "record_version": 2},
    # A second orphan session of pat-zz9, whose patient record arrives in the next file.
    _session("S-ZZ-2", "pat-zz9", A, "2026-03-20 10:00"),
    # A new course for pat-a01 (194 days after its last countable session). The latest
    # session moves as_of_date to 2026-07-28, so pat-a05's course (2026-06-01), which no
    # load touches, becomes ITT-eligible: the as_of-dependent marts must follow.
    _session("S-A01-4", "pat-a01", A, "2026-07-20 09:00", side_effects="DISSOCIATION"),
    _session("S-A01-5", "pat-a01", A, "2026-07-28 09:00", bp=(120, 185, 80, 90)),
    # A new patient, sessions first.
    _session("S-D01-1", "pat-d01", A, "2026-04-01 10:00"),
    _session("S-D01-2", "pat-d01", A, "2026-04-03 10:00", status="TERMINATED_EARLY"),
]

NEXT_DAY_PATIENTS = [
    _patient("pat-zz9", A, "TRD"),  # the late patient: S-ZZ-1, S-ZZ-2 and Q-ZZ-1 join
    _patient("pat-b01", B, "PTSD", version=2, in_error=True),  # withdrawn: all of it orphaned
    _patient("pat-d01", A, "MDD"),
]
NEXT_DAY_ASSESSMENTS = [
    # pat-a03 now reaches its endpoint (day 30): 16 -> 6, a completer and a responder.
    *_assessment("Q-A03-E", "pat-a03", A, PHQ9, "2026-03-04 09:00", total=6),
    # Corrected endpoint of pat-a01's first course: 4 -> 6, no longer a remission.
    *_assessment("Q-A01-E", "pat-a01", A, PHQ9, "2026-02-16 10:00", total=6, version=2),
    # Baseline of pat-a01's second course, with item 9 = 2: a new safety flag.
    *_assessment("Q-A01-B2", "pat-a01", A, PHQ9, "2026-07-20 08:00",
                 items=[3, 3, 2, 3, 2, 2, 2, 2, 2]),
    # The HIGH C-SSRS screen is withdrawn: its safety flag goes.
    *_withdrawn(_assessment("Q-B03-C", "pat-b03", B, "CSSRS_SCREEN", "2026-04-13 08:05",
                            items=[1, 1, 0, 1, 0, 0])[:1], version=2),
    *_assessment("Q-D01-B", "pat-d01", A, PHQ9, "2026-04-01 09:00", total=17),
    *_assessment("Q-D01-E", "pat-d01", A, PHQ9, "2026-05-01 09:00", total=8),
]
NEXT_DAY_ADVERSE_EVENTS = [
    _adverse_event("E-4", "pat-a06", A, "S-A06-3", "2026-03-09 11:00", "NAUSEA_VOMITING",
                   "MILD", False),
    {**_adverse_event("E-1", "pat-a01", A, "S-A01-1", "2026-01-05 09:40", "HYPERTENSION",
                      "SEVERE", True), "record_version": 2},
]

NEXT_DAY = {  # load_id: (table, rows), in the ingest's order
    2: ("raw.sessions", NEXT_DAY_SESSIONS),
    3: ("raw.patients", NEXT_DAY_PATIENTS),
    4: ("raw.assessments", NEXT_DAY_ASSESSMENTS),
    5: ("raw.adverse_events", NEXT_DAY_ADVERSE_EVENTS),
}
LAST_LOAD = max(NEXT_DAY)
TOUCHED = {"pat-a01", "pat-a02", "pat-a03", "pat-a06", "pat-a07", "pat-b01", "pat-b02",
           "pat-b03", "pat-zz9", "pat-d01"}


def load(path: Path, load_id: int, table: str, table_rows: list[dict]) -> None:
    """Append one file's rows as the ingest would: its _load_id and its manifest row."""
    loaded_at = datetime(2026, 7, 29, 6, load_id)
    sha = f"{load_id}{table}".ljust(64, "0")[:64]
    con = duckdb.connect(str(path))
    try:
        for row_number, row in enumerate(table_rows, start=1):
            row = {**row, "_file_sha256": sha, "_row_number": row_number,
                   "_load_id": load_id, "_loaded_at": loaded_at}
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))
        con.execute(
            "insert into ops.ingest_manifest values "
            "(?, ?, ?, ?, 'CSV', 'LOADED', ?, ?, 0, 0, 0, null, null, null, 'run-2', ?)",
            [load_id, sha, f"{table.split('.')[1]}_{load_id}.csv", table.split(".")[1],
             len(table_rows), len(table_rows), loaded_at],
        )
    finally:
        con.close()


def build(path: Path, target: Path, *args: str) -> None:
    result = run_dbt(path, target, "build", *SKIP_UNIT_TESTS, *args)
    assert result.returncode == 0, result.stdout[-6000:]


def model_tables(con) -> list[str]:
    return [f"{schema}.{name}" for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() "
        "  and table_schema in ('staging', 'intermediate', 'marts') order by 1, 2"
    ).fetchall()]


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int]]:
    """Per model: rows only in the incremental build, rows only in the full rebuild."""
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        con.execute(f"attach '{full}' as full_rebuild (read_only)")
        tables = model_tables(con)
        full_tables = [t for (t,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = 'full_rebuild' "
            "  and table_schema in ('staging', 'intermediate', 'marts') order by 1"
        ).fetchall()]
        assert tables == full_tables
        found = {}
        for table in tables:
            columns = ", ".join(
                f'"{name}"' for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = current_database() "
                    "  and table_schema || '.' || table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if name not in IGNORED_COLUMNS
            )
            only_here = con.execute(
                f"select count(*) from (select {columns} from {table} "
                f"except all select {columns} from full_rebuild.{table})"
            ).fetchone()[0]
            only_there = con.execute(
                f"select count(*) from (select {columns} from full_rebuild.{table} "
                f"except all select {columns} from {table})"
            ).fetchone()[0]
            if only_here or only_there:
                found[table] = (only_here, only_there)
        return found
    finally:
        con.close()


@pytest.fixture(scope="module")
def stepped(tmp_path_factory) -> dict[str, Path]:
    """Load 1 built; the next day's loads built incrementally; the same raw rebuilt in full."""
    root = tmp_path_factory.mktemp("incremental")
    incremental = root / "incremental.duckdb"
    build_fixture_warehouse(incremental)
    build(incremental, root / "target")
    for load_id, (table, table_rows) in NEXT_DAY.items():
        load(incremental, load_id, table, table_rows)
    build(incremental, root / "target")
    full = root / "full.duckdb"
    shutil.copy(incremental, full)
    build(full, root / "target", "--full-refresh")
    return {"root": root, "incremental": incremental, "full": full}


@pytest.fixture(scope="module")
def incremental(stepped):
    con = duckdb.connect(str(stepped["incremental"]), read_only=True)
    yield con
    con.close()


def test_incremental_run_equals_full_rebuild(stepped):
    assert differences(stepped["incremental"], stepped["full"]) == {}


def test_only_the_rows_the_loads_changed_were_written(incremental):
    """A row carries the load of the build that wrote it. The touched patients were
    recomputed whole, but a row that came out the same was left as load 1's build wrote
    it: only new and changed rows carry the last load."""
    loads: dict[str, int] = {}
    by_patient: dict[str, set[int]] = {}
    for r in rows(incremental, """
            select session_id, patient_key, _through_load_id as through
            from intermediate.int_sessions_grouped_into_courses"""):
        loads[r["session_id"]] = r["through"]
        by_patient.setdefault(r["patient_key"], set()).add(r["through"])

    recomputed = {r["patient_key"] for r in rows(incremental, """
            select patient_key from staging.stg_raw__patient_loads where last_load_id > 1""")}
    assert recomputed == TOUCHED
    # pat-a01's first course is as it was (S-A01-3 was cancelled); its two new sessions
    # start a second. Of pat-a02's, only the corrected one changed.
    assert [loads[f"S-A01-{n}"] for n in (1, 2, 4, 5)] == [1, 1, LAST_LOAD, LAST_LOAD]
    assert [loads["S-A02-1"], loads["S-A02-2"]] == [1, LAST_LOAD]
    # Written: a corrected session (a02), a moved one that restarts a course (b03), a late
    # patient's orphans (zz9), a new patient (d01).
    assert {p for p, through in by_patient.items() if LAST_LOAD in through} == {
        "pat-a01", "pat-a02", "pat-b03", "pat-zz9", "pat-d01"}
    # Touched with no session changed (a03: an assessment; a06: an adverse event), or
    # not touched at all (a04, a05).
    assert {p for p, through in by_patient.items() if through == {1}} == {
        "pat-a03", "pat-a04", "pat-a05", "pat-a06"}
    assert not by_patient.keys() & {"pat-a07", "pat-b01", "pat-b02"}  # no countable session


def test_the_loads_changed_what_they_should(incremental):
    """The scenario really exercises each case (else the comparison proves little)."""
    courses = {
        r["course_id"]: r
        for r in rows(incremental, "select * from marts.course_outcomes where is_primary")
    }
    assert "pat-a07:1" not in courses  # every session withdrawn
    assert "pat-b02:1" not in courses  # its only session moved to pat-b03
    assert "pat-b01:1" not in courses  # patient withdrawn
    assert courses["pat-b03:1"]["course_start"] == datetime(2026, 2, 10, 10, 0)
    assert courses["pat-b03:1"]["missing_baseline"] is True
    assert courses["pat-zz9:1"]["n_sessions"] == 2  # the late patient's orphans joined
    assert courses["pat-a01:2"]["baseline_score"] == 21
    assert courses["pat-a01:1"]["remitted"] is False  # corrected endpoint 4 -> 6
    assert courses["pat-a03:1"]["completer"] is True and courses["pat-a03:1"]["responded"]
    assert courses["pat-a02:1"]["mixed_route"] is True  # corrected version: IM
    # No load touched pat-a05, but as_of_date moved: its course is now ITT-eligible.
    assert one(incremental, "select as_of_date from marts.as_of")["as_of_date"].isoformat() \
        == "2026-07-28"
    assert courses["pat-a05:1"]["itt_eligible"] is True
    assert courses["pat-a05:1"]["_through_load_id"] == LAST_LOAD
    orphans = {r["record_key"] for r in rows(incremental,
                                             "select * from intermediate.int_orphan_records")}
    assert {"S-ZZ-1", "S-ZZ-2", "Q-ZZ-1"}.isdisjoint(orphans)
    assert {"S-B01-1", "S-B01-2", "Q-B01-B"} <= orphans
    flags = {r["assessment_id"] for r in rows(incremental, "select * from marts.safety_flags")}
    assert "Q-B03-C" not in flags and "Q-A01-B2" in flags


def test_a_changed_definition_redoes_every_patient(stepped):
    """--vars course_gap_days 20: pat-a05's sessions 29 days apart become two courses."""
    root = stepped["root"]
    incremental = root / "vars_incremental.duckdb"
    full = root / "vars_full.duckdb"
    shutil.copy(stepped["incremental"], incremental)
    shutil.copy(stepped["incremental"], full)
    new_gap = ("--vars", "{course_gap_days: 20}")
    build(incremental, root / "target", *new_gap)
    build(full, root / "target", "--full-refresh", *new_gap)
    assert differences(incremental, full) == {}
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        courses = {r["course_id"] for r in rows(
            con, "select course_id from intermediate.int_courses_aggregated")}
    finally:
        con.close()
    assert {"pat-a05:1", "pat-a05:2"} <= courses


def test_an_as_of_date_moving_back_redoes_the_courses_it_takes_out_of_itt(stepped):
    """pat-a01's latest session (2026-07-28) withdrawn: as_of_date falls back to 2026-07-20,
    and pat-a05's course (2026-06-01), which no load touches, is 49 days old again."""
    root = stepped["root"]
    incremental = root / "as_of_back_incremental.duckdb"
    full = root / "as_of_back_full.duckdb"
    shutil.copy(stepped["incremental"], incremental)
    withdrawal = _withdrawn([_session("S-A01-5", "pat-a01", A, "2026-07-28 09:00",
                                      bp=(120, 185, 80, 90))], version=2)
    load(incremental, LAST_LOAD + 1, "raw.sessions", withdrawal)
    shutil.copy(incremental, full)
    build(incremental, root / "target")
    build(full, root / "target", "--full-refresh")
    assert differences(incremental, full) == {}
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        assert one(con, "select as_of_date from marts.as_of")["as_of_date"].isoformat() \
            == "2026-07-20"
        course = one(con, "select * from marts.course_outcomes "
                          "where course_id = 'pat-a05:1' and is_primary")
        week = one(con, "select * from marts.course_trajectories "
                        "where course_id = 'pat-a05:1' and week = 0")
    finally:
        con.close()
    assert course["itt_eligible"] is False and course["awaiting_endpoint_window"] is True
    assert week["itt_eligible"] is False
    assert course["_through_load_id"] == week["_through_load_id"] == LAST_LOAD + 1


def test_every_var_is_in_the_definitions_hash():
    """A var missing from definitions_hash() would change numbers for touched patients only."""
    project_vars = set(yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"])
    macro = (DBT_PROJECT / "macros" / "incremental_by_patient.sql").read_text()
    listed = re.search(r"definition_vars = \[(.*?)\]", macro, re.S).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == project_vars


# Key tests of incremental models read the rows built since the last passing build
# (macros/tested_through.sql).

UNIQUE_SCORED = "unique_int_assessments_scored_assessment_id"


def passing_build_record(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return rows(con, "select * from main.dbt_tested_through")[0]
    finally:
        con.close()


def plant_duplicate(path: Path, patient: str, through: int) -> str:
    """A second copy of one of the patient's scored administrations, as a faulty build
    that took in load `through` would have written it; returns its assessment_id."""
    con = duckdb.connect(str(path))
    try:
        [(assessment_id,)] = con.execute(
            "insert into intermediate.int_assessments_scored "
            "select * replace (? as _through_load_id) from intermediate.int_assessments_scored "
            "where patient_key = ? order by assessment_id limit 1 returning assessment_id",
            [through, patient],
        ).fetchall()
        return assessment_id
    finally:
        con.close()


def remove_duplicate(path: Path, assessment_id: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("delete from intermediate.int_assessments_scored where rowid = ("
                    "select max(rowid) from intermediate.int_assessments_scored "
                    "where assessment_id = ?)", [assessment_id])
    finally:
        con.close()


def failing_tests(result) -> set[str]:
    return set(re.findall(r"FAIL \d+ (\w+)", result.stdout))


def test_a_passing_build_records_the_load_it_took_in(stepped):
    assert passing_build_record(stepped["incremental"])["through_load_id"] == LAST_LOAD
    assert passing_build_record(stepped["full"])["through_load_id"] == LAST_LOAD


def test_a_failing_key_test_stays_failing_until_mended(stepped):
    """A faulty row stays under test, whatever later loads bring, until it is mended; only
    then does the record move on."""
    path = stepped["root"] / "faulty.duckdb"
    shutil.copy(stepped["incremental"], path)
    before = passing_build_record(path)
    # pat-a04 is no load's: only the key test can find the copy.
    duplicate = plant_duplicate(path, "pat-a04", through=LAST_LOAD)

    failed = run_dbt(path, stepped["root"] / "target", "build", *SKIP_UNIT_TESTS)
    assert failed.returncode != 0 and failing_tests(failed) == {UNIQUE_SCORED}
    assert passing_build_record(path) == before

    load(path, LAST_LOAD + 1, "raw.patients", [_patient("pat-e01", A, "TRD")])
    failed_again = run_dbt(path, stepped["root"] / "target", "build", *SKIP_UNIT_TESTS)
    assert failing_tests(failed_again) == {UNIQUE_SCORED}
    assert passing_build_record(path) == before

    remove_duplicate(path, duplicate)
    build(path, stepped["root"] / "target")
    assert passing_build_record(path)["through_load_id"] == LAST_LOAD + 1


def test_rows_of_earlier_passing_builds_are_not_read_again(stepped):
    """The cost of a key test follows the new rows: a row written by an earlier build
    whose tests passed is not read again, unless no passing build is on record."""
    path = stepped["root"] / "old_fault.duckdb"
    shutil.copy(stepped["incremental"], path)
    plant_duplicate(path, "pat-a04", through=1)  # as if load 1's build had written it
    build(path, stepped["root"] / "target")

    con = duckdb.connect(str(path))
    con.execute("drop table main.dbt_tested_through")
    con.close()
    whole = run_dbt(path, stepped["root"] / "target", "test", "--select", UNIQUE_SCORED)
    assert whole.returncode != 0 and failing_tests(whole) == {UNIQUE_SCORED}


def test_a_build_leaving_out_a_key_test_records_nothing(stepped):
    path = stepped["root"] / "partial.duckdb"
    shutil.copy(stepped["incremental"], path)
    before = passing_build_record(path)
    load(path, LAST_LOAD + 1, "raw.patients", [_patient("pat-e01", A, "TRD")])
    build(path, stepped["root"] / "target", "--exclude", UNIQUE_SCORED)
    assert passing_build_record(path) == before


def test_a_build_leaving_out_the_unchanged_definitions_records_the_load(stepped):
    """The pipeline leaves the seeds and what reads only them out of its daily build
    (orchestration/defs/transform/definition_nodes.py): their tests bear on no key test."""
    path = stepped["root"] / "without_definitions.duckdb"
    shutil.copy(stepped["incremental"], path)
    load(path, LAST_LOAD + 1, "raw.patients", [_patient("pat-e01", A, "TRD")])
    manifest = json.loads((stepped["root"] / "target" / "manifest.json").read_text())
    build(path, stepped["root"] / "target", *DefinitionNodes.of(manifest).exclude_args())
    assert passing_build_record(path)["through_load_id"] == LAST_LOAD + 1


# Tests beside the key tests that read the rows built since the last passing build: the
# singular test that every listed side effect was unnested, and the key test of a view
# whose rows follow its patients' builds (stg_raw__sessions).

ALL_UNNESTED = "assert_session_side_effects_all_unnested"
UNIQUE_STG_SESSIONS = "unique_stg_raw__sessions_session_id"


def lose_side_effects(path: Path, built_by: int) -> None:
    """Delete the unnested side effects of one session with some, as a faulty build that
    took in load `built_by` would have left them."""
    con = duckdb.connect(str(path))
    try:
        [(session_id,)] = con.execute(
            "select min(session_id) from staging.stg_raw__session_side_effects").fetchall()
        con.execute("delete from staging.stg_raw__session_side_effects where session_id = ?",
                    [session_id])
        con.execute("update staging.base_raw__sessions set _through_load_id = ? "
                    "where session_id = ?", [built_by, session_id])
    finally:
        con.close()


def copy_a_session(path: Path, built_by: int) -> None:
    """A second copy of a session of a known patient that the build taking in load
    `built_by` wrote, as that build would have left it had it been faulty."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "insert into staging.base_raw__sessions "
            "select * from staging.base_raw__sessions where session_id = ("
            "  select min(session_id) from staging.stg_raw__sessions "
            "  where _through_load_id = ?)", [built_by])
    finally:
        con.close()


# Each test, and a fault only it finds among the rows a given load's build wrote.
READ_SINCE = {ALL_UNNESTED: lose_side_effects, UNIQUE_STG_SESSIONS: copy_a_session}


@pytest.mark.parametrize("test", READ_SINCE)
def test_a_fault_among_the_rows_built_since_the_last_passing_build_fails(stepped, test):
    path = stepped["root"] / f"{test}_new.duckdb"
    shutil.copy(stepped["incremental"], path)
    READ_SINCE[test](path, built_by=LAST_LOAD)  # by the last passing build

    result = run_dbt(path, stepped["root"] / "target", "test", "--select", test)

    assert result.returncode != 0 and failing_tests(result) == {test}


@pytest.mark.parametrize("test", READ_SINCE)
def test_a_fault_of_an_earlier_passing_build_is_read_only_without_a_record(stepped, test):
    path = stepped["root"] / f"{test}_old.duckdb"
    shutil.copy(stepped["incremental"], path)
    READ_SINCE[test](path, built_by=1)  # before the last passing build

    assert run_dbt(path, stepped["root"] / "target", "test", "--select", test).returncode == 0

    con = duckdb.connect(str(path))
    con.execute("drop table main.dbt_tested_through")  # no passing build on record
    con.close()
    whole = run_dbt(path, stepped["root"] / "target", "test", "--select", test)
    assert whole.returncode != 0 and failing_tests(whole) == {test}


# A touched patient's row that came out the same keeps the load of the build that wrote it
# (macros/incremental_by_patient.sql); what reads the rows built since the last passing
# build reads the rows of the patients touched since too. S-A01-1 is such a row: pat-a01
# was touched by loads 2, 4 and 5, its first course was kept as load 1's build wrote it.
KEPT_FAULTS = {
    ALL_UNNESTED: "delete from staging.stg_raw__session_side_effects where session_id = 'S-A01-1'",
    UNIQUE_STG_SESSIONS: "insert into staging.base_raw__sessions "
                         "select * from staging.base_raw__sessions where session_id = 'S-A01-1'",
}


@pytest.mark.parametrize("test", KEPT_FAULTS)
def test_a_fault_in_a_kept_row_of_a_patient_touched_since_fails(stepped, test):
    path = stepped["root"] / f"{test}_kept.duckdb"
    shutil.copy(stepped["incremental"], path)
    con = duckdb.connect(str(path))
    try:
        assert one(con, "select _through_load_id as load from staging.base_raw__sessions "
                        "where session_id = 'S-A01-1'")["load"] == 1
        # As if the last passing build had taken in load 2: pat-a01's loads 4 and 5 since.
        con.execute("update main.dbt_tested_through set through_load_id = 2")
        con.execute(KEPT_FAULTS[test])
    finally:
        con.close()

    result = run_dbt(path, stepped["root"] / "target", "test", "--select", test)

    assert result.returncode != 0 and failing_tests(result) == {test}


# The raw tables' key tests (models/staging/_sources.yml, incremental_key) read the keys
# of the loads since the last build, and every row when no load has been built yet.

UNIQUE_RAW_SESSIONS = (
    "source_unique_combination_of_columns_raw_sessions_session_id__record_version__session_id"
)


def repeat_raw_session(path: Path, load_id: int) -> None:
    """A second copy of a raw session row of load `load_id`, carried by that load, as an
    ingest that let the row in twice would have left it."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "insert into raw.sessions select * from raw.sessions where rowid = ("
            "  select min(rowid) from raw.sessions where _load_id = ?)", [load_id])
    finally:
        con.close()


def test_a_raw_key_repeated_by_a_new_load_fails_the_next_build(stepped):
    path = stepped["root"] / "raw_new.duckdb"
    shutil.copy(stepped["incremental"], path)
    [repeated] = [row for row in NEXT_DAY_SESSIONS if row["session_id"] == "S-A01-4"]
    load(path, LAST_LOAD + 1, "raw.sessions", [repeated])  # load 2 carried it already

    failed = run_dbt(path, stepped["root"] / "target", "build", *SKIP_UNIT_TESTS)

    assert failed.returncode != 0 and UNIQUE_RAW_SESSIONS in failing_tests(failed)


def test_a_raw_key_repeated_before_any_build_is_read_on_the_first(stepped):
    """Loads already built are not read again; with none built (no load ledger yet, as
    before a warehouse's first build), every row is."""
    path = stepped["root"] / "raw_old.duckdb"
    shutil.copy(stepped["incremental"], path)
    repeat_raw_session(path, load_id=1)

    tested = ("test", "--select", "source:raw.sessions")
    assert run_dbt(path, stepped["root"] / "target", *tested).returncode == 0

    con = duckdb.connect(str(path))
    con.execute("drop table staging.stg_raw__patient_loads")
    con.close()
    whole = run_dbt(path, stepped["root"] / "target", *tested)
    assert whole.returncode != 0 and failing_tests(whole) == {UNIQUE_RAW_SESSIONS}
