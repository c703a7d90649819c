"""Typed frames shaped exactly as the pipeline hands them to GX: rows inserted into the real
warehouse DDL (or mart tables typed as dbt would make them) in DuckDB, read back with .df()."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE_DDL = REPO / "orchestration" / "defs" / "ingest" / "warehouse.sql"

# A value no valid row holds; it must never surface in a failure or a stored result.
SENTINEL = "SENTINEL-12345"

LINEAGE = {
    "_file_sha256": "3f" * 32,
    "_row_number": None,  # filled with the row's position
    "_load_id": 7,
    "_loaded_at": "2026-03-02 10:00:00",
}

VALID_ROWS = {
    "patients": [
        {"patient_key": "k7Qm2xPa91", "site_id": "ANC-01", "record_version": 1,
         "entered_in_error": False, "birth_year": 1978, "sex": "F", "primary_indication": "TRD",
         "prior_treatment_failures": 4, "enrolled_on": "2026-01-05"},
        {"patient_key": "Rt5vB8wnZ3", "site_id": "ANC-01", "record_version": 1,
         "entered_in_error": False, "birth_year": None, "sex": "U", "primary_indication": "PTSD",
         "prior_treatment_failures": None, "enrolled_on": "2026-01-12"},
        {"patient_key": "Rt5vB8wnZ3", "site_id": "ANC-01", "record_version": 2,
         "entered_in_error": True, "birth_year": 1990, "sex": "M", "primary_indication": "PTSD",
         "prior_treatment_failures": 2, "enrolled_on": "2026-01-12"},
    ],
    "sessions": [
        {"session_id": "ANC-S-0001", "patient_key": "k7Qm2xPa91", "site_id": "ANC-01",
         "record_version": 1, "entered_in_error": False, "started_at": "2026-01-08 09:00",
         "route": "IV", "drug": "KETAMINE", "dose_mg": 34.0, "weight_kg": 68.0,
         "duration_min": 40, "monitored_min": 90, "status": "COMPLETED", "sbp_pre": 128,
         "sbp_peak": 146, "sbp_post": 131, "dbp_pre": 82, "dbp_peak": 91, "dbp_post": 84,
         "hr_pre": 72, "hr_peak": 88, "spo2_min": 97, "cadss": 18, "moaas_min": 4,
         "side_effects": "DISSOCIATION;NAUSEA"},
        {"session_id": "ANC-S-0004", "patient_key": "Rt5vB8wnZ3", "site_id": "ANC-01",
         "record_version": 1, "entered_in_error": False, "started_at": "2026-01-15 13:00",
         "route": "IN", "drug": "ESKETAMINE", "dose_mg": 56.0, "weight_kg": None,
         "duration_min": 5, "monitored_min": 120, "status": "COMPLETED", "sbp_pre": 118,
         "sbp_peak": None, "sbp_post": None, "dbp_pre": 76, "dbp_peak": None, "dbp_post": None,
         "hr_pre": None, "hr_peak": None, "spo2_min": None, "cadss": None, "moaas_min": None,
         "side_effects": None},
        {"session_id": "ANC-S-0004", "patient_key": "Rt5vB8wnZ3", "site_id": "ANC-01",
         "record_version": 2, "entered_in_error": False, "started_at": "2026-01-15 13:00",
         "route": "IN", "drug": "ESKETAMINE", "dose_mg": 84.0, "weight_kg": None,
         "duration_min": 5, "monitored_min": 120, "status": "TERMINATED_EARLY", "sbp_pre": 118,
         "sbp_peak": 181, "sbp_post": 140, "dbp_pre": 76, "dbp_peak": 96, "dbp_post": 84,
         "hr_pre": 66, "hr_peak": 80, "spo2_min": 98, "cadss": 9, "moaas_min": 5,
         "side_effects": "DIZZINESS;HYPERTENSION"},
    ],
    "assessments": [
        *({"assessment_id": "ANC-Q-0001", "item": str(i), "patient_key": "k7Qm2xPa91",
           "site_id": "ANC-01", "record_version": 1, "entered_in_error": False,
           "instrument": "PHQ9", "administered_at": "2026-01-08 08:30", "value": v}
          for i, v in enumerate([3, 3, 2, 3, 2, 2, 3, 2, 1], start=1)),
        {"assessment_id": "ANC-Q-0001", "item": "total", "patient_key": "k7Qm2xPa91",
         "site_id": "ANC-01", "record_version": 1, "entered_in_error": False,
         "instrument": "PHQ9", "administered_at": "2026-01-08 08:30", "value": 21},
        {"assessment_id": "ANC-Q-0002", "item": "total", "patient_key": "Rt5vB8wnZ3",
         "site_id": "ANC-01", "record_version": 1, "entered_in_error": False,
         "instrument": "PCL5", "administered_at": "2026-01-15 12:30", "value": 58},
        {"assessment_id": "ANC-Q-0003", "item": "1", "patient_key": "c2YhN4dLq8",
         "site_id": "ANC-01", "record_version": 1, "entered_in_error": False,
         "instrument": "PAIN_NRS", "administered_at": "2026-01-20 10:00", "value": 7},
        {"assessment_id": "ANC-Q-0004", "item": "6", "patient_key": "c2YhN4dLq8",
         "site_id": "ANC-01", "record_version": 1, "entered_in_error": False,
         "instrument": "CSSRS_SCREEN", "administered_at": "2026-01-20 10:05", "value": 1},
    ],
    "adverse_events": [
        {"event_id": "ANC-E-0001", "patient_key": "k7Qm2xPa91", "site_id": "ANC-01",
         "record_version": 1, "entered_in_error": False, "session_id": "ANC-S-0003",
         "onset_at": "2026-01-13 09:50", "category": "HYPERTENSION", "severity": "MODERATE",
         "serious": False},
        {"event_id": "ANC-E-0002", "patient_key": "Rt5vB8wnZ3", "site_id": "ANC-01",
         "record_version": 1, "entered_in_error": False, "session_id": None,
         "onset_at": "2026-01-19 13:25", "category": "SEDATION", "severity": "SEVERE",
         "serious": True},
    ],
}  # fmt: skip


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(WAREHOUSE_DDL.read_text(encoding="utf-8"))
    yield con
    con.close()


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    for number, row in enumerate(rows, start=1):
        row = {**LINEAGE, "_row_number": number, **row}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


# Helpers reach the test modules as fixtures: importing from conftest would depend on which
# conftest.py of the whole test tree sits first on sys.path.
@pytest.fixture
def sentinel() -> str:
    return SENTINEL


@pytest.fixture
def valid_rows():
    def rows_of(entity: str) -> list[dict]:
        return [dict(row) for row in VALID_ROWS[entity]]

    return rows_of


@pytest.fixture
def typed_frame(warehouse):
    """The accepted rows of one file, as the ingest passes them to GX."""

    def frame(entity: str, rows: list[dict]) -> pd.DataFrame:
        warehouse.execute(f"delete from raw.{entity}")
        insert_rows(warehouse, f"raw.{entity}", rows)
        return warehouse.sql(f"select * from raw.{entity}").df()

    return frame


@pytest.fixture
def insert(warehouse):
    def into(table: str, rows: list[dict]) -> None:
        insert_rows(warehouse, table, rows)

    return into
