"""The bench's follow-up day is an export the registry takes whole: sessions of patients it
already holds, no new patient, nothing quarantined."""

from __future__ import annotations

from datetime import datetime, timedelta

from bench.follow_up_day import write_follow_up_day
from orchestration.synthetic import generate_network
from tests.orchestration.defs.ingest.conftest import open_registry

# After the generated network's last date and its follow-up sessions three days later.
LOADED_AT = datetime(2026, 12, 1, 6, 0)


def test_a_follow_up_day_is_loaded_whole_for_patients_already_held(tmp_path):
    registry = open_registry(tmp_path)
    try:
        generate_network(registry.inbox, patients=80, sites=2, seed=7, progress=False)
        registry.ingest(LOADED_AT)
        held = {p for (p,) in registry.all("select distinct patient_key from raw.patients")}
        latest = dict(registry.all(
            "select patient_key, max(started_at) from raw.sessions group by all"))
        registry.con.close()

        written = write_follow_up_day(tmp_path / "warehouse.duckdb", registry.inbox, day=1,
                                      patients=6)

        registry = open_registry(tmp_path)
        outcomes = registry.ingest(LOADED_AT)
        assert {o.file_name for o in outcomes} == {
            f"{entity}_{site}_follow-up-1.csv"
            for entity in ("sessions", "assessments") for site in ("KC-01", "KC-02")}
        assert all(o.status == "LOADED" and o.rows_read == o.rows_loaded > 0
                   and o.rows_quarantined == 0 and o.rows_orphaned == 0 for o in outcomes)

        sessions = registry.all(
            "select patient_key, started_at from raw.sessions where session_id like 'FU1-%'")
        assert written == len(sessions) == 6
        for patient, started_at in sessions:
            assert patient in held and started_at == latest[patient] + timedelta(days=3)
        # A PHQ-9 an hour before the session, answered as the patient's latest (whole, total
        # only, or prorated, as that one was).
        answers = registry.all("""
            with phq9 as (
                select patient_key, assessment_id, administered_at,
                       list((item, value) order by item) as answers
                from raw.assessments where instrument = 'PHQ9' group by all
            ), latest_before as (
                select * from phq9 where assessment_id not like 'FU1-%'
                qualify row_number() over (
                    partition by patient_key order by administered_at desc) = 1
            )
            select f.patient_key, f.administered_at, f.answers = l.answers
            from phq9 as f join latest_before as l using (patient_key)
            where f.assessment_id like 'FU1-%'""")
        assert answers
        for patient, administered_at, same_answers in answers:
            assert administered_at == dict(sessions)[patient] - timedelta(hours=1)
            assert same_answers
    finally:
        registry.con.close()
