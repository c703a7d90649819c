"""Every page on a snapshot the real pipeline published: generate_network -> run_job.

The other page tests use snapshots built by fixture_snapshot.py; this one is
what guards them against drift: the marts' real columns, read by the real
queries. It runs the whole Dagster job (ingest, dbt, checks, publish) in a
subprocess, so that the job's environment (DAGSTER_HOME, KETREG_WAREHOUSE)
stays out of this test process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dashboards.queries import COLUMNS_READ, tables_read
from tests.dashboards.fixture_snapshot import publish, snapshot_path
from tests.dashboards.hand_network import hand_network
from tests.dashboards.pages import PAGES, render, shown

pytestmark = pytest.mark.slow

PATIENTS = 200
PIPELINE_SECONDS = 900
RUN = """
import sys
from pathlib import Path
from orchestration.run import run_job
from orchestration.synthetic import generate_network
inbox = Path(sys.argv[1])
generate_network(inbox, patients=int(sys.argv[2]), seed=5, progress=False)
outcome = run_job(inbox)
sys.exit(0 if outcome.success else f"the run failed: {outcome.failure}")
"""


@pytest.fixture(scope="module")
def pipeline_home(request) -> Path:
    """The pipeline's run, started in the background as soon as this module's tests were
    collected (conftest.py), so that it overlaps the other tests; waited for here."""
    run = start_pipeline(request.config)
    try:
        stdout, stderr = run.process.communicate(timeout=PIPELINE_SECONDS)
    except subprocess.TimeoutExpired:
        run.process.kill()
        raise
    assert run.process.returncode == 0, (stdout + stderr)[-5000:]
    assert snapshot_path(run.home).exists()
    return run.home


@dataclass
class PipelineRun:
    home: Path
    process: subprocess.Popen


_RUN_KEY = pytest.StashKey[PipelineRun]()


def start_pipeline(config) -> PipelineRun:
    """Start the run once per test session (idempotent)."""
    if _RUN_KEY in config.stash:
        return config.stash[_RUN_KEY]
    home = Path(tempfile.mkdtemp(prefix="ketreg-pipeline-"))
    env = {**os.environ, "KETREG_HOME": str(home)}
    for inherited in ("KETREG_WAREHOUSE", "KETREG_INBOX", "DAGSTER_HOME", "KETREG_AUTH"):
        env.pop(inherited, None)
    process = subprocess.Popen([sys.executable, "-c", RUN, str(home / "inbox"), str(PATIENTS)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=Path(__file__).resolve().parents[2])
    config.stash[_RUN_KEY] = PipelineRun(home, process)

    def clean_up() -> None:
        if process.poll() is None:
            process.kill()
            process.communicate()
        shutil.rmtree(home, ignore_errors=True)

    config.add_cleanup(clean_up)
    return config.stash[_RUN_KEY]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_the_pipelines_snapshot(page, pipeline_home, ketreg_home):
    ketreg_home(pipeline_home)
    app = render(page)
    assert not app.exception, [e.value for e in app.exception]
    if page not in ("safety_follow_up", "definitions"):
        assert app.get("plotly_chart"), f"{page} drew no chart"
    result = shown(app)
    assert len(result.tables) == len(app.dataframe)


def columns(path: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("""select table_schema || '.' || table_name, column_name
                              from information_schema.columns
                              order by table_schema, table_name, ordinal_position""").fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_the_test_fixtures_have_the_pipelines_layout(pipeline_home, tmp_path):
    """fixture_snapshot.py builds the same tables and columns the pipeline publishes."""
    real = columns(snapshot_path(pipeline_home))
    fixture = columns(publish(hand_network(), tmp_path))
    assert fixture == real


def test_the_snapshot_holds_what_the_dashboards_read_and_nothing_more(pipeline_home):
    """Every table a query reads is published; assessment-level rows, which no page shows,
    stay in the warehouse."""
    snapshot = columns(snapshot_path(pipeline_home))
    published = set(snapshot) - {"main.snapshot_info"}
    assert published == tables_read()
    assert "marts.assessment_scores" not in published
    warehouse = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    try:
        (scored,) = warehouse.execute("select count(*) from marts.assessment_scores").fetchone()
    finally:
        warehouse.close()
    assert scored > 0
    # Of the row-level marts, the columns the queries read (each page renders on this
    # snapshot: test_every_page_on_the_pipelines_snapshot), with their rows.
    held = columns(pipeline_home / "warehouse.duckdb")
    for table, read in COLUMNS_READ.items():
        assert set(snapshot[table]) == read, table
        assert read < set(held[table]), table
    assert {"dose_mg", "weight_kg", "session_id"}.isdisjoint(
        snapshot["marts.session_dissociation"])
    assert "baseline_assessment_id" not in snapshot["marts.course_outcomes"]
    assert content_of(snapshot_path(pipeline_home), "marts.course_outcomes") == content_of(
        pipeline_home / "warehouse.duckdb", "marts.course_outcomes",
        sorted(COLUMNS_READ["marts.course_outcomes"]))


def content_of(path: Path, table: str, column_list: list[str] | None = None) -> list[tuple]:
    selected = ", ".join(column_list or sorted(columns(path)[table]))
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select {selected} from {table} order by all").fetchall()
    finally:
        con.close()
