"""The run history kept with open connections is Dagster's own: the same files, readable by
Dagster's stock storage (the UI, an older ketreg), and its open files are bounded."""

from __future__ import annotations

import time

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

from orchestration import run_history
from orchestration import settings as ketreg_settings
from orchestration.run import dagster_instance


def _log(storage, run_id: str, message: str) -> None:
    storage.store_event(EventLogEntry(error_info=None, level=20, user_message=message,
                                      run_id=run_id, timestamp=time.time()))


def _instance(tmp_path, monkeypatch):
    monkeypatch.setenv("KETREG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # restored after the test
    return dagster_instance(ketreg_settings.load())


def test_what_it_writes_dagsters_own_storage_reads(tmp_path, monkeypatch):
    instance = _instance(tmp_path, monkeypatch)
    assert isinstance(instance.event_log_storage,
                      run_history.KeptConnectionEventLogStorage)
    for i in range(5):
        _log(instance.event_log_storage, "run-a", f"event {i}")
    instance.dispose()

    stock = DagsterSqliteStorage.from_local(str(tmp_path / "home" / "dagster"))
    logs = stock.event_log_storage.get_logs_for_run("run-a")

    assert [entry.user_message for entry in logs] == [f"event {i}" for i in range(5)]


def test_it_keeps_a_bounded_number_of_files_open(tmp_path, monkeypatch):
    storage = _instance(tmp_path, monkeypatch).event_log_storage
    for run in range(run_history.OPEN_FILES + 5):
        _log(storage, f"run-{run}", "started")

    assert len(storage._engines) == run_history.OPEN_FILES
    assert [entry.user_message for entry in storage.get_logs_for_run("run-0")] == ["started"]
    storage.dispose()
    assert not storage._engines


def test_an_open_files_write_ahead_log_stays_small(tmp_path, monkeypatch):
    # A 5 MB KETREG_HOME filled up with Dagster's logs before the first file otherwise
    # (tests/reliability/test_disk_full.py): a kept connection's WAL would grow to 4 MB.
    storage = _instance(tmp_path, monkeypatch).event_log_storage
    for i in range(3000):
        _log(storage, "run-a", f"event {i} " + "x" * 1000)

    wal = tmp_path / "home" / "dagster" / "history" / "runs" / "run-a.db-wal"
    assert len(storage.get_logs_for_run("run-a")) == 3000
    assert wal.stat().st_size <= 1 << 20


def test_it_asks_once_for_a_table_that_is_there(tmp_path, monkeypatch):
    storage = _instance(tmp_path, monkeypatch).event_log_storage
    asked = []
    stock_has_table = run_history.SqliteEventLogStorage.has_table

    def counting_has_table(self, table_name):
        asked.append(table_name)
        return stock_has_table(self, table_name)

    monkeypatch.setattr(run_history.SqliteEventLogStorage, "has_table", counting_has_table)
    # Dagster asks before every asset check event it stores.
    assert all(storage.supports_asset_checks for _ in range(3))
    assert not any(storage.has_table("no_such_table") for _ in range(2))

    assert asked == ["asset_check_executions", "no_such_table", "no_such_table"]
    storage.dispose()
