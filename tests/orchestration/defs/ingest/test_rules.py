"""The row rules run on text tables as a reader leaves them: cells trimmed as DuckDB's
trim does, and the administrations' rules (exports.md, Assessments): an item given twice,
a total given twice, an instrument of many items."""

from __future__ import annotations

import random
from datetime import datetime

import duckdb
import pytest

from orchestration.defs.ingest import rules
from orchestration.defs.ingest.contract import ENTITIES

COLUMNS = ["assessment_id", "patient_key", "site_id", "instrument", "administered_at", "item",
           "value"]
LOADED_AT = datetime(2026, 3, 2, 12, 0)


@pytest.fixture
def con():
    con = duckdb.connect()
    rules.ensure_instrument_catalog(con)
    # Longer than the bits the administrations' one-pass check holds.
    con.execute("insert into instrument_catalog (instrument, n_items, item_min, item_max, "
                "total_min, total_max) values ('LONG70', 70, 0, 3, 0, 210)")
    yield con
    con.close()


def _rows(assessment_id: str, instrument: str, items: list[tuple[str, int]]) -> list[tuple]:
    return [(assessment_id, "pat0001", "ANC-01", instrument, "2026-01-07 08:30", item, str(value))
            for item, value in items]


def _phq9(values=(3, 3, 2, 3, 1, 2, 2, 1, 1)) -> list[tuple[str, int]]:
    return [(str(i), v) for i, v in enumerate(values, start=1)]


def _reasons(con, rows: list[tuple]) -> dict[str, set[str | None]]:
    """Each administration's reasons, its rows' together."""
    con.execute("create or replace temp table export as select "
                + ", ".join(f"cast(null as varchar) as {c}" for c in COLUMNS) + " limit 0")
    con.executemany(f"insert into export values ({', '.join('?' for _ in COLUMNS)})", rows)
    rules.check_rows(con, ENTITIES["assessments"], [("export", COLUMNS)], LOADED_AT)
    reasons: dict[str, set[str | None]] = {}
    for assessment_id, reason in con.execute(
            "select assessment_id, reason from checked").fetchall():
        reasons.setdefault(assessment_id, set()).add(reason)
    return reasons


@pytest.mark.parametrize("cell", [
    "PHQ9", " PHQ9", "PHQ9 ", "  ", "", "\u00a0PHQ9", "PHQ9\u3000", "\u2002PHQ9\u202f",
    "Zoë", " Zoë ", "\tPHQ9\t", "PHQ9\u200b", "\u00a0", "a b",
])
def test_a_cell_is_trimmed_as_duckdbs_trim_trims_it(con, cell):
    expected = con.execute("select nullif(trim(?), '')", [cell]).fetchall()
    assert con.execute(f"select {rules._trimmed('$1')}", [cell]).fetchall() == expected


def test_an_instrument_between_unicode_spaces_is_read(con):
    rows = _rows("A-1", "\u00a0phq9\u3000", [*_phq9(), ("total", 18)])
    assert _reasons(con, rows) == {"A-1": {None}}
    assert con.execute("select distinct instrument from checked").fetchall() == [("PHQ9",)]


@pytest.mark.parametrize("cell, version, reason", [
    ("2", 2, None), ("2.", 2, None), ("2.000", 2, None), ("+2", 2, None), ("002", 2, None),
    ("", 1, None), ("2.5", None, "INVALID_TYPE"), ("1e2", None, "INVALID_TYPE"),
    ("0x2", None, "INVALID_TYPE"), ("2,0", None, "INVALID_TYPE"),
    ("2147483648", None, "INVALID_TYPE"), ("0", 0, "OUT_OF_RANGE"),
])
def test_an_integer_is_read_only_as_the_contract_writes_it(con, cell, version, reason):
    columns = [*COLUMNS, "record_version"]
    con.execute("create or replace temp table export as select "
                + ", ".join(f"cast(? as varchar) as {c}" for c in columns),
                [*_rows("A-1", "PAIN_NRS", [("1", 4)])[0], cell])
    rules.check_rows(con, ENTITIES["assessments"], [("export", columns)], LOADED_AT)
    assert con.execute("select record_version, reason from checked").fetchall() == [
        (version, reason)]


@pytest.mark.parametrize("cell, codes, reason", [
    ("nausea; Dissociation;NAUSEA", "DISSOCIATION;NAUSEA", None),
    (";;", None, None),
    (" ; headache ;", "HEADACHE", None),
    ("NAUSEA;HEADACH", None, "INVALID_CODE"),
    ("NAUSEA,HEADACHE", None, "INVALID_CODE"),
])
def test_a_list_of_codes_is_read_code_by_code(con, cell, codes, reason):
    columns = ["session_id", "patient_key", "site_id", "started_at", "route", "drug", "dose_mg",
               "status", "side_effects"]
    con.execute("create or replace temp table export as select "
                + ", ".join(f"cast(? as varchar) as {c}" for c in columns),
                ["S-1", "pat0001", "ANC-01", "2026-01-08 09:00", "IV", "KETAMINE", "34",
                 "COMPLETED", cell])
    rules.check_rows(con, ENTITIES["sessions"], [("export", columns)], LOADED_AT)
    assert con.execute("select reason from checked").fetchall() == [(reason,)]
    if reason is None:
        assert con.execute("select side_effects from checked").fetchall() == [(codes,)]


def test_an_item_repeated_with_its_value_is_counted_once_against_the_total(con):
    items = _phq9()
    rows = _rows("A-1", "PHQ9", [*items, items[3], ("total", 18)])
    assert _reasons(con, rows) == {"A-1": {None}}


def test_a_total_given_twice_with_two_values_is_a_conflict(con):
    rows = _rows("A-1", "PHQ9", [*_phq9(), ("total", 18), ("total", 17)])
    assert _reasons(con, rows) == {"A-1": {"DUPLICATE_ITEM_CONFLICT"}}


def test_a_total_given_twice_alike_is_judged_once(con):
    assert _reasons(con, _rows("A-1", "PHQ9", [*_phq9(), ("total", 18), ("total", 18)])) == {
        "A-1": {None}}
    assert _reasons(con, _rows("A-1", "PHQ9", [*_phq9(), ("total", 19), ("total", 19)])) == {
        "A-1": {"TOTAL_MISMATCH"}}


@pytest.mark.parametrize("extra, total, reason", [
    ([], 70, None),
    ([("66", 1)], 70, None),
    ([("66", 2)], 70, "DUPLICATE_ITEM_CONFLICT"),
    ([("2", 1)], 70, None),
    ([], 71, "TOTAL_MISMATCH"),
    ([("66", 1)], 71, "TOTAL_MISMATCH"),
])
def test_an_instrument_of_seventy_items_is_judged_item_by_item(con, extra, total, reason):
    items = [(str(i), 1) for i in range(1, 71)]
    rows = _rows("A-1", "LONG70", [*items, *extra, ("total", total)])
    assert _reasons(con, rows) == {"A-1": {reason}}


def _expected(items: list[tuple[str, int]]) -> str | None:
    """The rules as exports.md states them, one administration at a time."""
    values: dict[str, set[int]] = {}
    for item, value in items:
        values.setdefault(item, set()).add(value)
    if any(len(v) > 1 for v in values.values()):
        return "DUPLICATE_ITEM_CONFLICT"
    answered = {item: v.pop() for item, v in values.items()}
    total = answered.pop("total", None)
    if total is not None and len(answered) == 9 and sum(answered.values()) != total:
        return "TOTAL_MISMATCH"
    return None


def test_random_administrations_are_judged_as_the_rules_state(con):
    generator = random.Random(7)
    rows, expected = [], {}
    for n in range(300):
        items = [(str(i), generator.randint(0, 3)) for i in range(1, 10)
                 if generator.random() < 0.9]
        items += [generator.choice(items) if generator.random() < 0.5
                  else (generator.choice(items)[0], generator.randint(0, 3))
                  for _ in range(generator.choice((0, 0, 1, 2)))]
        if generator.random() < 0.7:
            answered = sum(v for _, v in dict(items).items())
            stated = answered + generator.choice((0, 0, 0, 1 if answered < 27 else -1))
            items += [("total", stated)] * generator.choice((1, 1, 2))
        generator.shuffle(items)
        rows += _rows(f"A-{n}", "PHQ9", items)
        expected[f"A-{n}"] = {_expected(items)}
    judged = _reasons(con, rows)
    assert judged == expected
    assert {"DUPLICATE_ITEM_CONFLICT", "TOTAL_MISMATCH", None} <= set().union(*judged.values())
