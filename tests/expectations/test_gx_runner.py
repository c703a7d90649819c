"""The runner as the Dagster code uses it: whole tables judged on their distinct values, the
suite registry, and the data docs kept under KETREG_HOME/gx."""

from __future__ import annotations

import dataclasses

import great_expectations.expectations as gxe
import pytest
from great_expectations.datasource.fluent.interfaces import Batch

from expectations import sql_uniqueness
from expectations.gx_workspace import in_memory_workspace
from expectations.registry import ENTITY_SUITES, MART_SUITES, SUITE_BUILDERS, build_suite
from expectations.runner import DataDocs, validate_frame, validate_table

# 5,000 sessions, most of their columns repeating the same few values.
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


def test_a_table_judged_on_distinct_values_counts_like_one_frame_of_every_row(warehouse):
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("update raw.sessions set route = 'IVV' where _row_number in (10, 4000)")

    table = validate_table(warehouse, "raw.sessions", "sessions")
    whole = validate_frame("sessions", warehouse.sql("select * from raw.sessions").df())

    assert table.raw["meta"]["rows"] == 5000
    assert (
        table.failures
        == whole.failures
        == ["expect_column_values_to_be_in_set(route): 2 unexpected of 5000 rows"]
    )
    assert table.evaluated == whole.evaluated == len(build_suite("sessions").expectations)


def test_no_result_counts_the_rows_of_a_frame_smaller_than_the_table(warehouse):
    # The data docs show each result's counts: a distinct route judged as one row must
    # not read "1 row" beside a table of 5,000.
    warehouse.execute(MANY_SESSIONS)
    table = validate_table(warehouse, "raw.sessions", "sessions")
    assert table.success
    counted = {r["result"]["element_count"] for r in table.raw["results"]
               if "element_count" in r["result"]}
    assert counted == {5000}


def test_identifiers_judged_on_their_lengths_and_nulls_count_every_bad_row(warehouse):
    # 5,000 distinct ids shrink to a row per (length, null-ness): the verdict and its
    # counts must still be those of every row.
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table unchecked as select * from raw.sessions")
    warehouse.execute("update unchecked set session_id = repeat('x', 200) || _row_number "
                      "where _row_number in (7, 2500, 4999)")
    warehouse.execute("update unchecked set session_id = null where _row_number = 8")

    table = validate_table(warehouse, "unchecked", "sessions")
    whole = validate_frame("sessions", warehouse.sql("select * from unchecked").df())

    assert table.failures == whole.failures
    assert sorted(table.failures) == [
        "expect_column_value_lengths_to_be_between(session_id): 3 unexpected of 5000 rows",
        "expect_column_values_to_not_be_null(session_id): 1 unexpected of 5000 rows",
    ]


def test_ranges_judged_on_the_extremes_count_every_bad_row_and_skip_nan_as_pandas(warehouse):
    # 5,000 rows; a dose and a weight out of range. A NaN weight, which pandas reads as
    # a null that a range ignores, must not hide the largest weight (DuckDB sorts NaN last).
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table unchecked as select * from raw.sessions")
    warehouse.execute("update unchecked set dose_mg = 5000 where _row_number in (3, 4444)")
    warehouse.execute("update unchecked set weight_kg = _row_number / 100 + 40")
    warehouse.execute("update unchecked set weight_kg = 900 where _row_number = 17")
    warehouse.execute("update unchecked set weight_kg = 'nan'::double where _row_number = 18")

    table = validate_table(warehouse, "unchecked", "sessions")
    whole = validate_frame("sessions", warehouse.sql("select * from unchecked").df())

    assert sorted(table.failures) == sorted(whole.failures) == [
        "expect_column_values_to_be_between(dose_mg): 2 unexpected of 5000 rows",
        "expect_column_values_to_be_between(weight_kg): 1 unexpected of 5000 rows",
    ]


def test_a_nan_is_a_null_to_the_null_checks_as_it_is_to_pandas(warehouse):
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table unchecked as select * from raw.sessions")
    warehouse.execute("update unchecked set dose_mg = 'nan'::double where _row_number = 5")

    table = validate_table(warehouse, "unchecked", "sessions")
    whole = validate_frame("sessions", warehouse.sql("select * from unchecked").df())

    assert table.failures == whole.failures == [
        "expect_column_values_to_not_be_null(dose_mg): 1 unexpected of 5000 rows"]


def test_keys_judged_on_their_pattern_count_every_bad_row_as_python_does(warehouse):
    # 1,250 distinct patient keys: the matching ones need one row between them; each one
    # not matching is judged by GX itself, so a key DuckDB's regex engine and Python's
    # disagree on (a final newline, which Python's `$` lets through) gets Python's verdict.
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table unchecked as select * from raw.sessions")
    warehouse.execute("update unchecked set patient_key = 'pk 000001' "
                      "where patient_key = 'pk000001'")
    warehouse.execute("update unchecked set patient_key = 'pk000002' || chr(10) "
                      "where patient_key = 'pk000002'")

    table = validate_table(warehouse, "unchecked", "sessions")
    whole = validate_frame("sessions", warehouse.sql("select * from unchecked").df())

    assert table.failures == whole.failures == [
        "expect_column_values_to_match_regex(patient_key): 4 unexpected of 5000 rows"]


# 3,000 item rows: PHQ-9 items scored 0 to 3 and C-SSRS screen items scored 0 or 1.
MANY_ITEMS = """
insert into raw.assessments
select 'Q-' || (i // 9), ((i % 9) + 1)::varchar, 'pk' || lpad((i // 90)::varchar, 6, '0'),
       'ANC-01', 1, false, case when i < 1800 then 'PHQ9' else 'CSSRS_SCREEN' end,
       timestamp '2026-01-01 09:00' + to_minutes(i // 9),
       case when i < 1800 then i % 4 else i % 2 end,
       repeat('ab', 32), i + 1, 3, timestamp '2026-03-02 10:00'
from range(3000) t(i)
where i < 1800 or i % 9 < 6
"""


def test_a_value_bad_only_under_its_row_condition_is_caught_among_many_repeats(warehouse):
    # A 3 is a fine PHQ-9 item and an impossible C-SSRS screen item: the frames GX judges
    # must keep the one C-SSRS row with a 3 apart from the hundreds of PHQ-9 rows with one.
    warehouse.execute(MANY_ITEMS)
    passing = validate_table(warehouse, "raw.assessments", "assessments")
    warehouse.execute(
        "update raw.assessments set value = 3 where _row_number = 1801")

    result = validate_table(warehouse, "raw.assessments", "assessments")
    whole = validate_frame("assessments", warehouse.sql("select * from raw.assessments").df())

    assert passing.success, passing.failures
    cssrs_rows = warehouse.sql(
        "select count(*) from raw.assessments where instrument = 'CSSRS_SCREEN'").fetchall()[0][0]
    assert result.failures == whole.failures == [
        """expect_column_values_to_be_between(value) where ("instrument" = 'CSSRS_SCREEN' """
        f"""AND "item" <> 'total'): 1 unexpected of {cssrs_rows} rows"""
    ]


def test_a_row_count_and_a_share_of_rows_are_judged_over_every_row(warehouse, tmp_path,
                                                                    monkeypatch):
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("update raw.sessions set route = 'IVV' where _row_number in (10, 4000)")
    build = SUITE_BUILDERS["sessions"]

    def with_counts():
        suite = build()
        suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=5000, max_value=5000))
        # 4,998 of 5,000 rows are IV; one of the two distinct routes is.
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(
            column="route", value_set=["IV"], mostly=0.6))
        return suite

    monkeypatch.setitem(SUITE_BUILDERS, "sessions", with_counts)
    docs = DataDocs(tmp_path / "gx")  # a workspace of its own: suites are cached per one

    result = validate_table(warehouse, "raw.sessions", "sessions", context=docs)

    assert result.failures == [
        "expect_column_values_to_be_in_set(route): 2 unexpected of 5000 rows"]
    assert result.evaluated == len(with_counts().expectations)


def test_a_key_repeated_far_apart_is_caught(warehouse):
    warehouse.execute(MANY_SESSIONS)
    # The first and the last row now share a (session_id, record_version).
    warehouse.execute("update raw.sessions set session_id = 'S-0' where _row_number = 5000")

    result = validate_table(warehouse, "raw.sessions", "sessions")

    assert result.failures == [
        "expect_compound_columns_to_be_unique(session_id, record_version): "
        "2 unexpected of 5000 rows"
    ]


@pytest.mark.parametrize("repeated", [False, True])
def test_keys_whose_hashes_clash_are_counted_by_their_values(warehouse, monkeypatch, repeated):
    """The first pass groups keys by a hash; a clash of hashes must neither fail distinct
    keys nor change the count of a real repeat. A hash that clashes for most keys (the
    length of session_id) stands in for the rare clash of DuckDB's 64-bit one."""
    monkeypatch.setattr(sql_uniqueness, "key_hash_sql", lambda keys: "length(session_id)")
    warehouse.execute(MANY_SESSIONS)
    if repeated:
        warehouse.execute("update raw.sessions set session_id = 'S-7' where _row_number = 4000")

    result = validate_table(warehouse, "raw.sessions", "sessions")

    assert result.failures == (
        ["expect_compound_columns_to_be_unique(session_id, record_version): "
         "2 unexpected of 5000 rows"] if repeated else [])


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

    result = validate_table(warehouse, "marts.course_outcomes", "marts.course_outcomes")

    assert (
        'expect_column_values_to_be_unique(course_id) where "is_primary" = TRUE: '
        "2 unexpected of 3 rows" in result.failures
    )


def test_a_missing_column_fails_by_name_while_the_other_columns_are_judged(warehouse):
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table unchecked as select * exclude (site_id) "
                      "from raw.sessions")
    warehouse.execute("update unchecked set patient_key = null where _row_number = 9")

    result = validate_table(warehouse, "unchecked", "sessions")

    assert "expect_column_values_to_not_be_null(patient_key): 1 unexpected of 5000 rows" \
        in result.failures
    assert any(f.startswith("expect_column_values_to_not_be_null(site_id)")
               for f in result.failures)
    assert result.evaluated == len(build_suite("sessions").expectations)


def test_an_empty_table_is_still_checked_for_its_columns(warehouse):
    warehouse.execute("alter table raw.adverse_events drop column serious")

    result = validate_table(warehouse, "raw.adverse_events", "adverse_events")

    assert result.raw["meta"]["rows"] == 0
    assert "expect_table_columns_to_match_set(): missing columns ['serious']" in result.failures


def test_an_empty_day_passes_in_one_validation_a_group(warehouse, monkeypatch):
    # A clinic with no adverse event that day sends an empty file. Its ranges have no
    # smallest or largest value: two rows of nulls would fail the null checks beside them,
    # and every column would be judged again on its own (~0.3 s, every such day).
    validations = []
    validate = Batch.validate
    monkeypatch.setattr(Batch, "validate", lambda self, *a, **k: (
        validations.append(1), validate(self, *a, **k))[1])

    result = validate_table(warehouse, "raw.adverse_events", "adverse_events")

    assert result.success and result.raw["meta"]["rows"] == 0
    assert len(validations) == len(in_memory_workspace().groups("adverse_events"))


def test_a_table_name_that_is_not_a_plain_name_is_refused(warehouse):
    with pytest.raises(ValueError, match="not a plain table name"):
        validate_table(warehouse, "raw.sessions; drop table x", "sessions")


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
    table_result = validate_table(warehouse, "raw.sessions", "sessions", context=docs,
                                  run_name="run-1")
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
