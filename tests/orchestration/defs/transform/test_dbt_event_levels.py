"""dbt's events made into lines only for the logs that keep them: the same lines written,
and the same events handed to callbacks."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from dbt.adapters.events.types import SQLQuery
from dbt.tracking import track_behavior_change_warn
from dbt_common.events import event_manager
from dbt_common.events.base_types import EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note, PrintEvent

from orchestration.defs.transform.dbt_event_levels import EventManagerFormattingKeptLinesOnly

# What a build fires: each query's debug events, node results at info, a warning, and a
# print event, which dbt shows even under --quiet.
EVENTS = [
    (SQLQuery(conn_name="model.ketreg.course_outcomes", sql="select 1", node_info={}), None),
    (Note(msg="1 of 175 OK created sql incremental model marts.course_outcomes"), None),
    (Note(msg="a query's status"), EventLevel.DEBUG),
    (Note(msg="a deprecated config"), EventLevel.WARN),
    (Note(msg="the build failed"), EventLevel.ERROR),
    (PrintEvent(msg="printed"), None),
]
_names = itertools.count()


def _log(manager: EventManager, level: EventLevel) -> tuple[list[tuple], int]:
    """The lines a JSON log at `level` writes for EVENTS, and how many lines were made."""
    stream = io.StringIO()
    made = []

    def scrub(line: str) -> str:  # dbt scrubs every line it makes, once
        made.append(line)
        return line

    manager.add_logger(LoggerConfig(
        name=f"test_dbt_event_levels_{next(_names)}", level=level,
        line_format=LineFormat.Json, scrubber=scrub, output_stream=stream,
    ))
    for event, event_level in EVENTS:
        manager.fire_event(event, level=event_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [(line["info"]["name"], line["info"]["level"], line["info"]["msg"])
            for line in lines], len(made)


@pytest.mark.parametrize("level", [EventLevel.DEBUG, EventLevel.INFO, EventLevel.ERROR])
def test_a_log_writes_the_lines_dbt_itself_writes(level):
    assert _log(EventManagerFormattingKeptLinesOnly(), level)[0] == _log(EventManager(), level)[0]


def test_an_event_below_a_logs_level_is_not_made_into_a_line_for_it():
    written, made = _log(EventManagerFormattingKeptLinesOnly(), EventLevel.INFO)
    assert [msg for _, _, msg in written] == [
        "1 of 175 OK created sql incremental model marts.course_outcomes",
        "a deprecated config", "the build failed", "printed",
    ]
    assert made == len(written)
    # Why the module exists: dbt alone makes a line of every event, the debug ones too.
    assert _log(EventManager(), EventLevel.INFO)[1] == len(EVENTS)


@pytest.fixture
def messages_made(monkeypatch) -> list[str]:
    """The names of the events made into messages for the logs and callbacks."""
    made = []
    make = event_manager.msg_from_base_event

    def counted(event, level=None):
        made.append(type(event).__name__)
        return make(event, level=level)

    monkeypatch.setattr(event_manager, "msg_from_base_event", counted)
    return made


def test_an_event_no_log_keeps_and_no_callback_reads_is_not_made_into_a_message(
        messages_made):
    manager = EventManagerFormattingKeptLinesOnly()
    manager.add_callback(track_behavior_change_warn)  # as dbt's own set-up does
    written, _ = _log(manager, EventLevel.INFO)
    assert len(messages_made) == len(written) == 4
    assert "SQLQuery" not in messages_made


def test_a_callback_of_ones_own_is_handed_every_event():
    manager = EventManagerFormattingKeptLinesOnly()
    handed = []
    manager.add_callback(lambda msg: handed.append((msg.info.name, msg.info.level)))
    _log(manager, EventLevel.INFO)
    plain = EventManager()
    plain_handed = []
    plain.add_callback(lambda msg: plain_handed.append((msg.info.name, msg.info.level)))
    _log(plain, EventLevel.INFO)
    assert handed == plain_handed and len(handed) == len(EVENTS)
