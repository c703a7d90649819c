"""A follow-up day: new sessions of patients the registry already holds.

The bench's other daily export is a small network of new patients, generated with another
seed: its rows are ~0.2% of the network's, but so are its patients, and their rows lie
together at the end of every table. A clinic's day is mostly patients in treatment coming
back. This writes that day from the warehouse itself: for each of `patients` patients
with a completed session in the last 40 days of the network, one more session three days
after their latest, like it (route, drug, dose, vital signs, side effects), and a PHQ-9 an
hour before it, answered as their latest. One file per site and entity, as clinics send.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.defs.ingest.contract import ENTITIES

# Columns copied from the patient's latest session; the rest are the new session's own.
_SESSION_COPIED = (
    "patient_key", "site_id", "route", "drug", "dose_mg", "weight_kg", "duration_min",
    "monitored_min", "status", "sbp_pre", "sbp_peak", "sbp_post", "dbp_pre", "dbp_peak",
    "dbp_post", "hr_pre", "hr_peak", "spo2_min", "cadss", "moaas_min", "side_effects",
)  # fmt: skip


def write_follow_up_day(warehouse: Path, out_dir: Path, day: int, patients: int) -> int:
    """Write the day's files into out_dir; returns the number of sessions written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"""
            create temp table returning_patients as
            with latest as (
                select * from raw.sessions
                qualify row_number() over (
                    partition by patient_key order by started_at desc, record_version desc) = 1
            )
            select * from latest
            where status = 'COMPLETED' and not entered_in_error
              and started_at > (select max(started_at) from raw.sessions) - interval 40 day
            -- A different draw of patients each day, the same for the same day.
            order by hash(patient_key, {day})
            limit {patients}
        """)
        con.execute(f"""
            create temp table follow_up_sessions as
            select 'FU{day}-S' || row_number() over (order by patient_key) as session_id,
                   started_at + interval 3 day as started_at,
                   {", ".join(_SESSION_COPIED)}
            from returning_patients
        """)
        con.execute(f"""
            create temp table follow_up_items as
            with last_phq9 as (
                select patient_key, assessment_id, record_version
                from raw.assessments
                semi join returning_patients using (patient_key)
                where instrument = 'PHQ9' and not entered_in_error
                qualify row_number() over (
                    partition by patient_key order by administered_at desc, record_version desc
                ) = 1
            )
            select 'FU{day}-Q' || dense_rank() over (order by a.patient_key) as assessment_id,
                   a.patient_key, a.site_id, a.instrument,
                   s.started_at - interval 1 hour as administered_at, a.item,
                   cast(a.value as integer) as value
            from raw.assessments as a
            join last_phq9 using (patient_key, assessment_id, record_version)
            join follow_up_sessions as s using (patient_key)
        """)
        written = con.execute("select count(*) from follow_up_sessions").fetchone()[0]
        for entity, table in (("sessions", "follow_up_sessions"),
                              ("assessments", "follow_up_items")):
            columns = ", ".join(_export_columns(entity, table, con))
            for (site,) in con.execute(f"select distinct site_id from {table} order by 1")\
                    .fetchall():
                path = out_dir / f"{entity}_{site}_follow-up-{day}.csv"
                # Site ids are the contract's [A-Z0-9-], so the literal needs no escaping.
                con.execute(
                    f"copy (select {columns} from {table} where site_id = '{site}' "
                    f"order by all) to '{path}' (header, timestampformat '%Y-%m-%d %H:%M')")
        return written
    finally:
        con.close()


def _export_columns(entity: str, table: str, con: duckdb.DuckDBPyConnection) -> list[str]:
    """The contract's columns for the entity that the table holds, in the contract's order."""
    held = {name for (name,) in con.execute(
        "select column_name from information_schema.columns where table_name = ?",
        [table]).fetchall()}
    return [column.name for column in ENTITIES[entity].columns if column.name in held]
