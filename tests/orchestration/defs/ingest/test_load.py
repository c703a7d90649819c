"""The archive as the ingest writes it, listed for the lost-load check and the rebuild."""

from __future__ import annotations

from orchestration.defs.ingest.load import archived_files

WHOLE = "ab" + "1" * 62
HALF_WRITTEN = "cd" + "2" * 62


def test_a_copy_a_killed_run_left_half_written_is_not_archived(tmp_path):
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{WHOLE}.csv").write_text("patient_key\n")
    (tmp_path / "cd").mkdir()
    (tmp_path / "cd" / f"{HALF_WRITTEN}.csv.partial").write_text("patient_k")

    assert archived_files(tmp_path) == {WHOLE: tmp_path / "ab" / f"{WHOLE}.csv"}


def test_no_archive_yet_lists_nothing(tmp_path):
    assert archived_files(tmp_path / "archive") == {}
