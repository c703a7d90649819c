"""dbt's events made into lines only for the logs that keep them.

dbt (dbt-common 1.x) turns every event into a line for each of its logs, the console's JSON
that dagster-dbt reads and the file's text, and only then lets Python's logging drop the
lines below that log's level. Both logs are at info, so each query's debug events (the SQL,
its status, the connection's), ~1,500 in a day's build, were formatted twice, JSON-encoded
and scrubbed of secrets, then thrown away: ~0.4 s of a day's build in py-spy's samples.

Here each log is given its own level as a filter, so an event it would drop is never
formatted for it. The lines written are the same: Python's logging kept exactly those
events (`dbt_common.events.logger`), and dagster-dbt reads info-level results only.

An event that no log keeps and no callback reads is not even made into the message the
logs and callbacks are handed (a protobuf built from a dict, ~0.3 s of a day's build).
"""

from __future__ import annotations

import dataclasses

from dbt.tracking import track_behavior_change_warn
from dbt_common.events.base_types import BaseEvent, EventLevel, EventMsg
from dbt_common.events.event_manager import EventManager
from dbt_common.events.event_manager_client import ctx_set_event_manager
from dbt_common.events.logger import PRINT_EVENT_NAMES, LoggerConfig

# dbt's levels ranked as dbt_common.events.logger ranks them for Python's logging.
_RANK = {
    EventLevel.DEBUG: 10, EventLevel.TEST: 10, EventLevel.INFO: 20,
    EventLevel.WARN: 30, EventLevel.ERROR: 40,
}


# The callbacks dbt registers itself, and the only events each reads; any other callback
# (dbtRunner's `callbacks`) is taken to read every event.
_CALLBACK_READS = {track_behavior_change_warn: frozenset({"BehaviorChangeEvent"})}


def _rank(name: str, level: EventLevel) -> int:
    # dbt logs a print event as an error, so that --quiet still shows it.
    if name in PRINT_EVENT_NAMES:
        return _RANK[EventLevel.ERROR]
    return _RANK[level]


def _event_rank(msg: EventMsg) -> int:
    return _rank(msg.info.name, EventLevel(msg.info.level))


class EventManagerFormattingKeptLinesOnly(EventManager):
    def add_logger(self, config: LoggerConfig) -> None:
        threshold = _RANK[config.level]
        kept_by_dbt = config.filter

        def kept(msg: EventMsg) -> bool:
            return _event_rank(msg) >= threshold and kept_by_dbt(msg)

        super().add_logger(dataclasses.replace(config, filter=kept))

    def fire_event(self, e: BaseEvent, level: EventLevel | None = None, node=None,
                   force_warn_or_error_handling: bool = False) -> None:
        if force_warn_or_error_handling or not self._read_by_no_one(e, level):
            super().fire_event(e, level=level, node=node,
                               force_warn_or_error_handling=force_warn_or_error_handling)

    def _read_by_no_one(self, e: BaseEvent, level: EventLevel | None) -> bool:
        name = type(e).__name__
        level = level or e.level_tag()
        if level == EventLevel.WARN:  # --warn-error may make it an error
            return False
        if any(name in _CALLBACK_READS.get(callback, (name,)) for callback in self.callbacks):
            return False
        rank = _rank(name, level)
        return all(rank < _RANK[logger.level] for logger in self.loggers)


def format_kept_lines_only() -> None:
    """In a process about to run dbt, before dbt sets up its logs."""
    ctx_set_event_manager(EventManagerFormattingKeptLinesOnly())
