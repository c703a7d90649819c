"""dbt's events made into lines only for the logs that keep them.

dbt (dbt-common 1.x) turns every event into a line for each of its logs, the console's JSON
that dagster-dbt reads and the file's text, and only then lets Python's logging drop the
lines below that log's level. Both logs are at info, so each query's debug events (the SQL,
its status, the connection's), ~1,500 in a day's build, were formatted twice, JSON-encoded
and scrubbed of secrets, then thrown away: ~0.4 s of a day's build in py-spy's samples.

Here each log is given its own level as a filter, so an event it would drop is never
formatted for it. The lines written are the same: Python's logging kept exactly those
events (`dbt_common.events.logger`), and dagster-dbt reads info-level results only.
"""

from __future__ import annotations

import dataclasses

from dbt_common.events.base_types import EventLevel, EventMsg
from dbt_common.events.event_manager import EventManager
from dbt_common.events.event_manager_client import ctx_set_event_manager
from dbt_common.events.logger import PRINT_EVENT_NAMES, LoggerConfig

# dbt's levels ranked as dbt_common.events.logger ranks them for Python's logging.
_RANK = {
    EventLevel.DEBUG: 10, EventLevel.TEST: 10, EventLevel.INFO: 20,
    EventLevel.WARN: 30, EventLevel.ERROR: 40,
}


def _event_rank(msg: EventMsg) -> int:
    # dbt logs a print event as an error, so that --quiet still shows it.
    if msg.info.name in PRINT_EVENT_NAMES:
        return _RANK[EventLevel.ERROR]
    return _RANK[EventLevel(msg.info.level)]


class EventManagerFormattingKeptLinesOnly(EventManager):
    def add_logger(self, config: LoggerConfig) -> None:
        threshold = _RANK[config.level]
        kept_by_dbt = config.filter

        def kept(msg: EventMsg) -> bool:
            return _event_rank(msg) >= threshold and kept_by_dbt(msg)

        super().add_logger(dataclasses.replace(config, filter=kept))


def format_kept_lines_only() -> None:
    """In a process about to run dbt, before dbt sets up its logs."""
    ctx_set_event_manager(EventManagerFormattingKeptLinesOnly())
