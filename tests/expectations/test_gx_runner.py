"""The runner as the Dagster code uses it: whole tables in chunks, the suite registry, and the
data docs kept under KETREG_HOME/gx."""

from __future__ import annotations

import dataclasses

import pytest

from expectations.registry import ENTITY_SUITES, MART_SUITES, SUITE_BUILDERS, build_suite
from expectations.runner import DataDocs, validate_frame, validate_table_in_chunks

# 5,000 sessions: with 2,048-row chunks the table is read in three frames.
MANY_SESSIONS = """
insert into raw.sessions
select 'S-' || i, 'pk' || lpad((i // 4)::varchar, 6, '0'), 'ANC-01', 1, false,
       timestamp '2026-01-01 09:00' + to_minutes(i), 'IV', 'KETAMINE', 35.5, null, 40, null,
       'COMPLETED', 120, null, null, 80, null, null, 70, null, null, null, null,
       case when i % 3 = 0 then 'NAUSEA' end,
       repeat('ab', 32), i + 1, 3, timestamp '2026-03-02 10:00'
from range(5000) t(i)
"""


def test_every_suite_is_registered_by_the_name_the_pipeline_uses():
    assert set(ENTITY_SUITES) == {"patients", "sessions", "assessments", "adverse_events"}
    assert set(MART_SUITES) == {
        "marts.course_outcomes",
        "marts.outcome_rates",
        "marts.side_effect_rates",
        "marts.safety_flags",
        "marts.assessment_scores",
    }
    assert all(build_suite(name).name == name for name in SUITE_BUILDERS)
    with pytest.raises(KeyError, match="no suite 'session'"):
        build_suite("session")


def test_chunked_validation_counts_like_one_frame(warehouse):
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("update raw.sessions set route = 'IVV' where _row_number in (10, 4000)")

    chunked = validate_table_in_chunks(warehouse, "raw.sessions", "sessions", chunk_rows=2048)
    whole = validate_frame("sessions", warehouse.sql("select * from raw.sessions").df())

    assert chunked.raw["meta"]["chunks"] == 3
    assert chunked.raw["meta"]["rows"] == 5000
    assert (
        chunked.failures
        == whole.failures
        == ["expect_column_values_to_be_in_set(route): 2 unexpected of 5000 rows"]
    )
    assert chunked.evaluated == whole.evaluated == len(build_suite("sessions").expectations)


def test_a_key_repeated_in_two_chunks_is_caught(warehouse):
    warehouse.execute(MANY_SESSIONS)
    # The first and the last row now share a (session_id, record_version): no single chunk
    # holds both.
    warehouse.execute("update raw.sessions set session_id = 'S-0' where _row_number = 5000")

    result = validate_table_in_chunks(warehouse, "raw.sessions", "sessions", chunk_rows=2048)

    assert result.failures == [
        "expect_compound_columns_to_be_unique(session_id, record_version): "
        "2 unexpected of 5000 rows"
    ]


def test_conditional_uniqueness_is_counted_in_sql_with_its_condition(warehouse):
    warehouse.execute("create schema marts")
    warehouse.execute(
        """create table marts.course_outcomes as
        select course_id, 'k7Qm2xPa91' as patient_key, 1::bigint as course_number,
               'ANC-01' as site_id, 'IV' as route, 'KETAMINE' as drug, false as mixed_route,
               'TRD' as indication, instrument, is_primary,
               timestamp '2026-01-08 09:00' as course_start, 3::bigint as n_sessions,
               null::integer as baseline_score, null::integer as endpoint_score,
               false as evaluable, false as itt_eligible, false as completer,
               null::double as change_pct, false as responded, false as remitted,
               false as deteriorated
        from (values ('k7Qm2xPa91:1', 'PHQ9', true), ('k7Qm2xPa91:1', 'GAD7', false),
                     ('k7Qm2xPa91:2', 'PHQ9', true), ('k7Qm2xPa91:2', 'GAD7', true))
             t(course_id, instrument, is_primary)"""
    )

    result = validate_table_in_chunks(
        warehouse, "marts.course_outcomes", "marts.course_outcomes", chunk_rows=1
    )

    assert (
        'expect_column_values_to_be_unique(course_id) where "is_primary" = TRUE: '
        "2 unexpected of 3 rows" in result.failures
    )


def test_an_empty_table_is_still_checked_for_its_columns(warehouse):
    warehouse.execute("alter table raw.adverse_events drop column serious")

    result = validate_table_in_chunks(warehouse, "raw.adverse_events", "adverse_events")

    assert result.raw["meta"]["rows"] == 0
    assert "expect_table_columns_to_match_set(): missing columns ['serious']" in result.failures


def test_a_table_name_that_is_not_a_plain_name_is_refused(warehouse):
    with pytest.raises(ValueError, match="not a plain table name"):
        validate_table_in_chunks(warehouse, "raw.sessions; drop table x", "sessions")


def test_results_are_frozen(typed_frame):
    result = validate_frame("patients", typed_frame("patients", []))

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.success = False  # type: ignore[misc]


def test_data_docs_are_written_under_the_directory_without_row_values(
    tmp_path, typed_frame, valid_rows, sentinel, warehouse
):
    rows = valid_rows("sessions")
    rows[0]["route"] = sentinel
    warehouse.execute(MANY_SESSIONS.replace("'IV'", f"'{sentinel}'"))
    docs = DataDocs.open(tmp_path / "gx")

    frame_result = validate_frame(
        "sessions", typed_frame("sessions", rows), context=docs, run_name="run-1"
    )
    table_result = validate_table_in_chunks(
        warehouse, "raw.sessions", "sessions", chunk_rows=2048, context=docs, run_name="run-1"
    )
    index = docs.build()

    assert not frame_result.success and not table_result.success
    assert index == tmp_path / "gx" / "data_docs" / "index.html"
    assert index.is_file()
    pages = list((tmp_path / "gx" / "data_docs" / "validations").rglob("*.html"))
    assert len(pages) == 2
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".yml"}:
            assert sentinel not in path.read_text(encoding="utf-8", errors="replace"), path
    assert DataDocs.open(str(tmp_path / "gx")) is docs  # one GX context per directory
