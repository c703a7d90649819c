"""GX on the marts: a correct mart passes, a broken join or an impossible rate is named.

The marts are typed in DuckDB as dbt-duckdb builds them (booleans, bigints, doubles) and read
with .df(), the way the asset checks read them.
"""

from __future__ import annotations

import duckdb
import pytest

from expectations.registry import MART_SUITES, build_suite
from expectations.runner import validate_frame

COURSE_OUTCOMES_DDL = """
create table marts.course_outcomes (
    course_id varchar, patient_key varchar, course_number bigint, site_id varchar,
    route varchar, drug varchar, mixed_route boolean, indication varchar, instrument varchar,
    is_primary boolean, course_start timestamp, n_sessions bigint, baseline_score integer,
    endpoint_score integer, evaluable boolean, itt_eligible boolean, completer boolean,
    change_pct double, responded boolean, remitted boolean, deteriorated boolean)
"""
COURSES = [
    # A completer who responded (PHQ-9 21 -> 8), with a secondary GAD-7 row.
    ("k7Qm2xPa91:1", "k7Qm2xPa91", 1, "ANC-01", "IV", "KETAMINE", False, "TRD", "PHQ9", True,
     "2026-01-08 09:00", 6, 21, 8, True, True, True, 13 / 21, True, False, False),
    ("k7Qm2xPa91:1", "k7Qm2xPa91", 1, "ANC-01", "IV", "KETAMINE", False, "TRD", "GAD7", False,
     "2026-01-08 09:00", 6, 15, 14, True, True, True, 1 / 15, False, False, False),
    # Evaluable but too recent to be judged.
    ("Rt5vB8wnZ3:1", "Rt5vB8wnZ3", 1, "ANC-01", "IN", "ESKETAMINE", True, "PTSD", "PCL5", True,
     "2026-02-20 13:00", 2, 58, None, True, False, False, None, False, False, False),
    # No baseline: the primary row is there all the same.
    ("c2YhN4dLq8:2", "c2YhN4dLq8", 2, "ANC-01", "IM", "KETAMINE", False, "CHRONIC_PAIN",
     "PAIN_NRS", True, "2026-01-20 10:00", 1, None, None, False, False, False, None, False,
     False, False),
]  # fmt: skip

# Counts per group; rates and Wilson bounds are computed straight from the formula in doubles,
# so x = 0 of 7 and 4 of 4 put a bound a few ulps outside [0, 1] or past the rate. (The dbt
# macro pins those ends; the guard must not depend on it.)
OUTCOME_RATE_COUNTS = [
    ("ANC-01", "IV", "TRD", "ITT", 12, 5, 3),
    ("ANC-01", "IV", "TRD", "COMPLETER", 7, 0, 0),
    ("ANC-01", "ALL", "ALL", "ITT", 4, 4, 2),
    ("ANC-01", "ALL", "ALL", "COMPLETER", 0, 0, 0),
    ("ALL", "ALL", "ALL", "ITT", 20, 20, 11),
    ("ALL", "ALL", "ALL", "COMPLETER", 20, 20, 11),
]


def wilson_sql(x: str, n: str, prefix: str) -> str:
    p = f"({x}::double / {n})"
    z = "1.959964"
    centre = f"(({p} + {z}*{z}/(2*{n})) / (1 + {z}*{z}/{n}))"
    half = f"({z} * sqrt({p}*(1-{p})/{n} + {z}*{z}/(4*{n}*{n})) / (1 + {z}*{z}/{n}))"
    return (
        f"case when {n} > 0 then {p} end as {prefix}_rate, "
        f"case when {n} > 0 then {centre} - {half} end as {prefix}_ci_low, "
        f"case when {n} > 0 then {centre} + {half} end as {prefix}_ci_high"
    )


@pytest.fixture
def marts(warehouse) -> duckdb.DuckDBPyConnection:
    con = warehouse
    con.execute("create schema marts")
    con.execute(COURSE_OUTCOMES_DDL)
    con.executemany(f"insert into marts.course_outcomes values ({', '.join('?' * 21)})", COURSES)
    con.execute(
        "create table counts (site_id varchar, route varchar, indication varchar, "
        "denominator varchar, n_courses bigint, n_responders bigint, n_remitters bigint)"
    )
    con.executemany("insert into counts values (?, ?, ?, ?, ?, ?, ?)", OUTCOME_RATE_COUNTS)
    con.execute(
        f"""create table marts.outcome_rates as
        select site_id, route, indication, denominator, n_courses,
               n_responders, {wilson_sql("n_responders", "n_courses", "response")},
               n_remitters, {wilson_sql("n_remitters", "n_courses", "remission")}
        from counts"""
    )
    con.execute(
        f"""create table marts.side_effect_rates as
        select site_id, route, effect, n_sessions, n_sessions_with_effect,
               {wilson_sql("n_sessions_with_effect", "n_sessions", "session")},
               n_courses, n_courses_with_effect,
               case when n_courses > 0 then n_courses_with_effect::double / n_courses end
                   as course_rate
        from (values ('ANC-01', 'IV', 'NAUSEA', 40, 9, 6, 4),
                     ('ANC-01', 'IV', 'BP_EXCURSION', 40, 0, 6, 0),
                     ('ANC-01', 'IV', 'ANY', 40, 40, 6, 6),
                     ('ALL', 'ALL', 'TERMINATED_EARLY', 0, 0, 0, 0))
             t(site_id, route, effect, n_sessions, n_sessions_with_effect, n_courses,
               n_courses_with_effect)"""
    )
    con.execute(
        """create table marts.safety_flags as
        select * from (values
            ('ANC-Q-0001', 'k7Qm2xPa91', 'ANC-01', timestamp '2026-01-08 08:30', 'PHQ9',
             'PHQ9_ITEM9', '1'),
            ('ANC-Q-0004', 'c2YhN4dLq8', 'ANC-01', timestamp '2026-01-20 10:05', 'CSSRS_SCREEN',
             'CSSRS', 'HIGH'))
        t(assessment_id, patient_key, site_id, administered_at, instrument, reason, level)"""
    )
    con.execute(
        """create table marts.assessment_scores as
        select * from (values
            ('ANC-Q-0001', 'k7Qm2xPa91', 'ANC-01', 'PHQ9', timestamp '2026-01-08 08:30', 21,
             false, 'severe', null),
            ('ANC-Q-0005', 'k7Qm2xPa91', 'ANC-01', 'GAD7', timestamp '2026-01-08 08:35', 9,
             true, 'mild', null),
            ('ANC-Q-0002', 'Rt5vB8wnZ3', 'ANC-01', 'PCL5', timestamp '2026-01-15 12:30', 58,
             false, null, null),
            ('ANC-Q-0004', 'c2YhN4dLq8', 'ANC-01', 'CSSRS_SCREEN',
             timestamp '2026-01-20 10:05', null, null, null, 'HIGH'))
        t(assessment_id, patient_key, site_id, instrument, administered_at, total_score,
          prorated, severity_band, cssrs_risk)"""
    )
    return con


def mart_frame(con, suite_name):
    return con.sql(f"select * from {suite_name}").df()


@pytest.mark.parametrize("suite_name", MART_SUITES)
def test_correct_marts_pass(suite_name, marts):
    result = validate_frame(suite_name, mart_frame(marts, suite_name))

    assert result.failures == []
    assert result.evaluated == len(build_suite(suite_name).expectations)


def test_the_fixture_holds_the_float_noise_an_exact_interval_check_would_trip_on(marts):
    strays = marts.execute(
        """select count(*) from marts.outcome_rates
           where response_ci_low > response_rate or response_ci_high < response_rate
              or response_ci_low < 0 or response_ci_high > 1"""
    ).fetchone()[0]
    assert strays >= 2


def test_a_duplicated_primary_row_is_caught(marts):
    frame = mart_frame(marts, "marts.course_outcomes")
    broken = frame.iloc[[0, 0, 1, 2, 3]].reset_index(drop=True)  # a join that fanned out

    result = validate_frame("marts.course_outcomes", broken)

    assert sorted(result.failures) == [
        'expect_column_values_to_be_unique(course_id) where "is_primary" = TRUE: '
        "2 unexpected of 4 rows",
        "expect_compound_columns_to_be_unique(course_id, instrument): 2 unexpected of 5 rows",
    ]


def test_a_second_primary_instrument_for_one_course_is_caught(marts):
    frame = mart_frame(marts, "marts.course_outcomes")
    frame.loc[1, "is_primary"] = True  # the GAD-7 row of a TRD course

    result = validate_frame("marts.course_outcomes", frame)

    assert sorted(result.failures) == [
        "expect_column_values_to_be_in_set(instrument) "
        'where ("is_primary" = TRUE AND "indication" = \'TRD\'): 1 unexpected of 2 rows',
        'expect_column_values_to_be_unique(course_id) where "is_primary" = TRUE: '
        "2 unexpected of 4 rows",
    ]


def test_a_responder_who_is_not_a_completer_is_caught(marts):
    frame = mart_frame(marts, "marts.course_outcomes")
    frame.loc[2, "responded"] = True

    result = validate_frame("marts.course_outcomes", frame)

    assert result.failures == [
        'expect_column_values_to_be_in_set(completer) where "responded" = TRUE: '
        "1 unexpected of 2 rows"
    ]


def test_a_rate_outside_its_interval_is_caught(marts):
    frame = mart_frame(marts, "marts.outcome_rates")
    frame.loc[0, "response_rate"] = 0.9  # 5 of 12, interval about 0.19-0.68

    result = validate_frame("marts.outcome_rates", frame)

    assert result.failures == [
        "expect_column_pair_values_a_to_be_at_least_b(response_ci_high, response_rate): "
        "1 unexpected of 6 rows"
    ]


def test_a_rate_without_its_interval_or_with_no_courses_is_caught(marts):
    frame = mart_frame(marts, "marts.outcome_rates")
    frame.loc[0, "remission_ci_low"] = None
    frame.loc[3, "response_rate"] = 0.0  # a rate over 0 courses must be null

    result = validate_frame("marts.outcome_rates", frame)

    assert sorted(f.split(":")[0] for f in result.failures) == [
        "expect_column_pair_values_a_to_be_at_least_b(remission_rate, remission_ci_low)",
        "expect_column_pair_values_a_to_be_at_least_b(response_ci_high, response_rate)",
        "expect_column_pair_values_a_to_be_at_least_b(response_rate, response_ci_low)",
        'expect_column_values_to_be_null(response_rate) where "n_courses" = 0',
    ]


def test_more_responders_than_courses_is_caught(marts):
    frame = mart_frame(marts, "marts.outcome_rates")
    frame.loc[0, "n_responders"] = 13

    result = validate_frame("marts.outcome_rates", frame)

    assert (
        "expect_column_pair_values_a_to_be_greater_than_b(n_courses, n_responders): "
        "1 unexpected of 6 rows" in result.failures
    )


def test_a_repeated_side_effect_group_is_caught(marts):
    frame = mart_frame(marts, "marts.side_effect_rates")
    broken = frame.iloc[[0, 0, 1, 2, 3]].reset_index(drop=True)

    result = validate_frame("marts.side_effect_rates", broken)

    assert result.failures == [
        "expect_compound_columns_to_be_unique(site_id, route, effect): 2 unexpected of 5 rows"
    ]


def test_a_safety_flag_with_another_reasons_level_is_caught(marts):
    frame = mart_frame(marts, "marts.safety_flags")
    frame.loc[0, "level"] = "HIGH"

    result = validate_frame("marts.safety_flags", frame)

    assert [f.split(":")[0] for f in result.failures] == [
        "expect_column_pair_values_to_be_in_set(reason, level)"
    ]


def test_a_phq9_score_without_its_severity_band_is_caught(marts):
    frame = mart_frame(marts, "marts.assessment_scores")
    frame.loc[0, "severity_band"] = None

    result = validate_frame("marts.assessment_scores", frame)

    assert [f.split(":")[0] for f in result.failures] == [
        "expect_column_values_to_not_be_null(severity_band) "
        "where \"instrument\" IN ('PHQ9', 'GAD7')"
    ]
