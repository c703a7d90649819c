"""Dagster's run history on SQLite, as Dagster keeps it, with its connections kept open.

Dagster's SQLite event log creates an SQLAlchemy engine, opens a connection and
disposes of both for every event it stores, and a run stores about 700 (each dbt
model and test is one, and each is planned first): 2-3 ms an event, 1-2 s a run.
This keeps one connection for each of the few files in use (the index and the
current runs' files), and remembers which of Dagster's tables the index holds. The
files, their layout and what is written are Dagster's own, so the Dagster UI, the
daemon and older runs read them as before.

dagster.yaml names it (orchestration/run.py):

    storage:
      custom:
        module: orchestration.run_history
        class: RunHistoryStorage
        config: {base_dir: <DAGSTER_HOME>}
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Files whose connection stays open: the index, the running run's file, and a few runs a
# long-lived process (the daemon, the UI) reads. Older ones are closed.
OPEN_FILES = 8
# Dagster's files are in WAL mode. Closing the last connection used to fold the WAL back
# and delete it after every event; an open connection folds it back every 1,000 pages
# (4 MB) and keeps the file at its largest. Folded every 100 pages and cut back to
# 512 kB, each open file's WAL stays small.
WAL_PRAGMAS = ("pragma wal_autocheckpoint = 100", "pragma journal_size_limit = 524288")


class KeptConnectionEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_present: set[str] = set()

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before storing each asset and check event, through an engine and a
        # connection of its own each time (~0.5 s a run at 100k). A table, once there,
        # stays: Dagster's migrations only add them. Absent ones are asked again.
        if table_name not in self._tables_present:
            if not super().has_table(table_name):
                return False
            self._tables_present.add(table_name)
        return True

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # One thread at a time (the lock is Dagster's), so one connection a file serves all
        # threads; each use is still its own transaction, as before.
        with self._db_lock:
            engine = self._engine_for(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine_for(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                              "check_same_thread": False},
            )
            event.listen(engine, "connect", _keep_wal_small)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_FILES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_files(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_files()  # the run files are deleted
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_files()
        super().dispose()


def _keep_wal_small(dbapi_connection, _record) -> None:
    for pragma in WAL_PRAGMAS:
        dbapi_connection.execute(pragma)


class RunHistoryStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event logs, schedules under `base_dir`), with the
    event log above."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = KeptConnectionEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> RunHistoryStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
