"""Fixtures for ingest tests: write export files, load them, look at the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.ingest import inbox, load

PATIENTS_HEADER = (
    "patient_key,site_id,birth_year,sex,primary_indication,prior_treatment_failures,enrolled_on"
)
SESSIONS_HEADER = (
    "session_id,patient_key,site_id,started_at,route,drug,dose_mg,weight_kg,duration_min,"
    "monitored_min,status,sbp_pre,sbp_peak,sbp_post,dbp_pre,dbp_peak,dbp_post,hr_pre,hr_peak,"
    "spo2_min,cadss,moaas_min,side_effects"
)
ASSESSMENTS_HEADER = "assessment_id,patient_key,site_id,instrument,administered_at,item,value"
EVENTS_HEADER = "event_id,patient_key,site_id,session_id,onset_at,category,severity,serious"

LOADED_AT = datetime(2026, 3, 2, 12, 0)
INGEST_TABLES = ("raw.patients", "raw.sessions", "raw.assessments", "raw.adverse_events",
                 "ops.ingest_manifest", "ops.quarantine")


def session_row(session_id="S-1", patient="pat0001", started="2026-01-08 09:00", route="IV",
                drug="KETAMINE", dose="34", status="COMPLETED", side_effects="NAUSEA") -> str:
    return (f"{session_id},{patient},ANC-01,{started},{route},{drug},{dose},68,40,90,{status},"
            f"128,146,131,82,91,84,72,88,97,18,4,{side_effects}")


def phq9_rows(assessment_id="A-1", patient="pat0001", when="2026-01-07 08:30",
              items=(3, 3, 2, 3, 1, 2, 2, 1, 1), total=None) -> list[str]:
    rows = [f"{assessment_id},{patient},ANC-01,PHQ9,{when},{i},{v}"
            for i, v in enumerate(items, start=1) if v is not None]
    if total is not None:
        rows.append(f"{assessment_id},{patient},ANC-01,PHQ9,{when},total,{total}")
    return rows


@dataclass
class Registry:
    """A KETREG_HOME with an inbox, and the warehouse the ingest writes."""

    home: Path
    con: duckdb.DuckDBPyConnection
    outcomes: list[load.FileOutcome] = field(default_factory=list)

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    def drop(self, name: str, content: str | bytes | list[str]) -> Path:
        self.inbox.mkdir(parents=True, exist_ok=True)
        path = self.inbox / name
        if isinstance(content, list):
            content = "\n".join(content) + "\n"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def ingest(self, loaded_at: datetime = LOADED_AT) -> list[load.FileOutcome]:
        """Process every settled inbox file, like one run of the job's ingest step."""
        files = inbox.settled_files(self.inbox)
        settled = load.settled_statuses(self.con, [path.name for path in files])
        new = list(load.ingest_files(
            self.con, [inbox.fingerprint(path) for path in files],
            rejected_dir=self.home / "rejected", archive_dir=self.home / "archive",
            run_id="test", loaded_at=loaded_at, settled=settled,
        ))
        self.outcomes += new
        return new

    def one(self, sql: str, params=()):
        return self.con.execute(sql, list(params)).fetchone()

    def all(self, sql: str, params=()):
        return self.con.execute(sql, list(params)).fetchall()

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row the ingest writes, table by table, in a fixed order."""
        return {t: self.all(f"select * from {t} order by all") for t in INGEST_TABLES}

    def reasons(self, entity: str) -> list[tuple[int, str, str]]:
        return self.all(
            "select row_number, reason, reason_column from ops.quarantine "
            "where entity = ? order by row_number", [entity],
        )


def open_registry(home: Path) -> Registry:
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    load.ensure_warehouse(con)
    return Registry(home=home, con=con)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    opened = open_registry(tmp_path)
    yield opened
    opened.con.close()


@pytest.fixture
def with_patient(registry: Registry) -> Registry:
    registry.drop("patients_ANC-01_2026-03-01.csv",
                  [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05"])
    registry.ingest()
    return registry
