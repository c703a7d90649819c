"""`ketreg run` end to end: the Dagster job over an inbox, twice.

One generated network plus crafted files goes through the real job (ingest,
dbt, checks, publish) in a fresh KETREG_HOME; the second run on the same inbox
must change nothing. Runs are slow (dbt), so they are shared by the module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from expectations.registry import MART_SUITES
from orchestration.defs.ingest.contract import ENTITIES
from orchestration.synthetic import generate_network

pytestmark = pytest.mark.slow

PHI_SENTINELS = ("Zebulon Quixotewright", "zq.sentinel@example.org", "(555) 867-5309",
                 "078-05-1120")
TABLES = ("ops.ingest_manifest", "ops.quarantine", "raw.patients", "raw.sessions",
          "raw.assessments", "raw.adverse_events", "marts.course_outcomes",
          "marts.outcome_rates", "marts.side_effect_rates", "marts.safety_flags",
          "marts.assessment_scores")


def _ketreg(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KETREG_HOME": str(home)}
    env.pop("KETREG_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env,
                          capture_output=True, text=True, timeout=900)


def _tables(warehouse: Path) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"select * exclude (loaded_at) from {t} order by all").fetchall()
                if t == "ops.ingest_manifest"
                else con.execute(f"select * from {t} order by all").fetchall()
                for t in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    inbox = home / "inbox"
    generate_network(inbox, patients=300, sites=3, seed=11, progress=False)
    (inbox / "patients_PHI-01_2026-10-31.csv").write_text(
        "patient_key,site_id,primary_indication,enrolled_on,patient_name\n"
        f"phi000001,PHI-01,TRD,2026-01-05,{PHI_SENTINELS[0]}\n")
    (inbox / "sessions_PHI-01_2026-10-31.csv").write_text(
        "session_id,patient_key,site_id,started_at,route,drug,dose_mg,status,notes\n"
        f"S-PHI-1,phi000001,PHI-01,2026-01-08 09:00,IV,KETAMINE,34,COMPLETED,"
        f"\"call {PHI_SENTINELS[2]} or {PHI_SENTINELS[1]}, SSN {PHI_SENTINELS[3]}\"\n")
    first = _ketreg(home, "run", "--inbox", str(inbox))
    after_first = _tables(home / "warehouse.duckdb")
    snapshot_first = (home / "snapshot" / "dashboard.duckdb").stat().st_mtime_ns
    second = _ketreg(home, "run", "--inbox", str(inbox))
    after_second = _tables(home / "warehouse.duckdb")
    return home, first, second, after_first, after_second, snapshot_first


def test_first_run_succeeds_and_prints_a_summary(two_runs):
    home, first, *_ = two_runs
    assert first.returncode == 0, first.stderr[-3000:]
    assert "LOADED" in first.stdout and "REJECTED_PHI" in first.stdout
    assert "Top quarantine reasons:" in first.stdout
    assert (home / "snapshot" / "dashboard.duckdb").exists()


def test_every_file_balances_and_phi_files_are_rejected(two_runs):
    home, *_ , after_first, _, _ = two_runs
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from ops.ingest_manifest "
                           "where rows_read <> rows_loaded + rows_quarantined").fetchone() == (0,)
        rejected = con.execute("select file_name, reason from ops.ingest_manifest "
                               "where status = 'REJECTED_PHI' order by 1").fetchall()
    finally:
        con.close()
    assert [name for name, _ in rejected] == ["patients_PHI-01_2026-10-31.csv",
                                              "sessions_PHI-01_2026-10-31.csv"]
    assert "patient_name" in rejected[0][1]
    assert "notes" in rejected[1][1]


def test_no_value_of_a_rejected_file_is_written_anywhere_but_its_rejected_copy(two_runs):
    home, first, second, *_ = two_runs
    rejected_dir = home / "rejected"
    copies = list(rejected_dir.iterdir())
    assert len(copies) == 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in copies)
    sentinels = [s.encode() for s in PHI_SENTINELS]
    for path in home.rglob("*"):
        if path.is_file() and rejected_dir not in path.parents:
            content = path.read_bytes()
            leaked = [s for s in sentinels if s in content]
            assert not leaked, f"{path.relative_to(home)} holds {leaked}"
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert not any(s in output for s in PHI_SENTINELS)


def test_each_run_keeps_its_dbt_artifacts_under_ketreg_home(two_runs):
    home = two_runs[0]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        run_ids = {r for (r,) in con.execute(
            "select distinct run_id from ops.dbt_test_results").fetchall()}
    finally:
        con.close()
    targets = {p.name for p in (home / "dbt" / "target").iterdir()}
    assert len(run_ids) == 2 and targets == run_ids
    assert all((home / "dbt" / "target" / t / "run_results.json").is_file() for t in targets)
    # dbt's log of each build, for a person to read: text at info level, not the JSON
    # events dagster-dbt reads from dbt's console, nor every query.
    for target in targets:
        log = (home / "dbt" / "target" / target / "dbt.log").read_text()
        assert "Running with dbt=" in log and "Done. PASS=" in log
        assert not any(line.startswith("{") for line in log.splitlines())
        assert "[debug]" not in log


def test_second_run_on_the_same_inbox_changes_nothing(two_runs):
    _, _, second, after_first, after_second, _ = two_runs
    assert second.returncode == 0, second.stderr[-3000:]
    assert "No new files" in second.stdout
    assert after_second == after_first


def test_a_model_built_whole_by_older_code_is_built_again_not_failed(two_runs, tmp_path):
    """course_outcomes as the models left it before it was incremental: no bookkeeping
    columns. The next run builds it whole, once, and loses nothing."""
    home = tmp_path / "home"
    shutil.copytree(two_runs[0], home)
    warehouse = home / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create or replace table marts.course_outcomes as select * exclude "
                    "(_through_load_id, _definitions_hash) from marts.course_outcomes")
    finally:
        con.close()

    run = _ketreg(home, "run", "--inbox", str(home / "inbox"))

    assert run.returncode == 0, run.stderr[-3000:]
    assert "marts.course_outcomes was built whole by an older version" in run.stdout + run.stderr
    assert _tables(warehouse) == two_runs[4]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from marts.course_outcomes "
                           "where _through_load_id is null").fetchone() == (0,)
    finally:
        con.close()


def test_two_simultaneous_runs_refuse_with_a_clear_message(two_runs, tmp_path):
    import fcntl

    home = two_runs[0]
    with (home / "run.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        blocked = _ketreg(home, "run", "--inbox", str(home / "inbox"))
    assert blocked.returncode == 3
    assert "another ketreg run is using" in blocked.stderr


def test_only_the_dagster_history_commits_without_fsync(tmp_path, monkeypatch):
    # The run history is written ~750 times a run; the registry's own data is not in it.
    import sqlalchemy

    from orchestration import settings as ketreg_settings
    from orchestration.run import dagster_instance

    monkeypatch.setenv("KETREG_HOME", str(tmp_path / "home"))
    # dagster_instance() points DAGSTER_HOME at the home; setting it here restores it after.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    settings = ketreg_settings.load()
    dagster_instance(settings).dispose()

    def synchronous(path: Path) -> int:
        engine = sqlalchemy.create_engine(f"sqlite:///{path}")
        with engine.connect() as con:
            return con.exec_driver_sql("pragma synchronous").scalar()

    assert synchronous(settings.dagster_home / "history" / "runs.db") == 0  # off
    assert synchronous(tmp_path / "elsewhere.db") == 2  # SQLite's default, full


def test_every_suite_result_of_a_run_has_its_data_docs_page(two_runs):
    home = two_runs[0]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        results = con.execute("select distinct suite_name, run_id from ops.gx_results").fetchall()
    finally:
        con.close()
    pages = home / "gx" / "data_docs" / "validations"
    suite_results = [(s, r) for s, r in results if s in {*ENTITIES, *MART_SUITES}]

    assert {s for s, _ in suite_results} == {*ENTITIES, *MART_SUITES}
    assert [(s, r) for s, r in suite_results
            if not any(pages.joinpath(*s.split("."), r).rglob("*.html"))] == []
    assert not (home / "gx" / "unbuilt.jsonl").exists()


def test_every_dbt_test_of_each_build_is_recorded_with_its_outcome(two_runs):
    # What the Data quality page lists, test by test.
    home = two_runs[0]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        recorded = con.execute("select run_id, unique_id, test_name, status "
                               "from ops.dbt_test_results order by all").fetchall()
    finally:
        con.close()
    expected = sorted(
        (target.name, r["unique_id"], r["unique_id"].split(".")[2], r["status"])
        for target in (home / "dbt" / "target").iterdir()
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("test."))
    assert recorded == expected and len(recorded) > 100


def test_the_second_run_leaves_the_unchanged_definitions_out_of_its_build(two_runs):
    from dashboards.queries import dbt_tests_last_run

    home = two_runs[0]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        first, second = [r for (r,) in con.execute(
            "select run_id from ops.dbt_test_results group by run_id "
            "order by min(executed_at)").fetchall()]
        builds = con.execute("select run_id from ops.dbt_definitions_builds").fetchall()
    finally:
        con.close()
    assert builds == [(first,)]
    second_run = two_runs[2]
    assert f"left out of this build: run {first} built and tested them" in (
        second_run.stdout + second_run.stderr)

    def built(run_id: str, kind: str) -> set[str]:
        results = json.loads((home / "dbt" / "target" / run_id / "run_results.json").read_text())
        return {r["unique_id"].split(".")[2] for r in results["results"]
                if r["unique_id"].startswith(kind + ".")}

    assert len(built(first, "seed")) == 6 and built(second, "seed") == set()
    assert "definitions" in built(first, "model") and "definitions" not in built(second, "model")
    assert "unique_instrument_catalog_instrument" not in built(second, "test")
    # A test of raw data against a seed runs in every build.
    assert any(name.startswith("source_relationships_raw_assessments_instrument")
               for name in built(second, "test"))

    # The run went on to publish, and the Data quality page still shows the seeds' tests,
    # from the run that built them.
    snapshot = duckdb.connect(str(home / "snapshot" / "dashboard.duckdb"), read_only=True)
    try:
        shown = dbt_tests_last_run.run(snapshot).set_index("test_name")
    finally:
        snapshot.close()
    assert shown.loc["unique_instrument_catalog_instrument", "run_id"] == first
    assert set(shown["run_id"]) == {first, second} and shown.index.is_unique
