"""GX at the door judges the rows this run's files added, and those alone."""

from __future__ import annotations

from expectations import runner
from orchestration.defs.ingest.assets import _validate_new_rows
from tests.orchestration.defs.ingest.conftest import SESSIONS_HEADER, session_row


def test_the_new_batch_is_the_new_files_rows_whatever_the_history_holds(registry, tmp_path):
    registry.drop("sessions_ANC-01_2026-03-01.csv",
                  [SESSIONS_HEADER] + [session_row(f"S-{i}", route="IM") for i in range(50)])
    registry.ingest()
    registry.drop("sessions_ANC-01_2026-03-02.csv",
                  [SESSIONS_HEADER] + [session_row(f"S-{i}") for i in range(50, 53)])
    (new,) = registry.ingest()
    docs = runner.DataDocs.open(tmp_path / "gx")

    result = _validate_new_rows(registry.con, "sessions", [new.file_sha256], docs, "run-2")

    assert result.success
    assert result.raw["meta"]["rows"] == 3
    assert registry.all("select batch, evaluated from ops.gx_results") == [
        (new.file_sha256, result.evaluated)]
