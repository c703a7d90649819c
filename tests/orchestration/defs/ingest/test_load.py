"""The archive as the ingest writes it, listed for the lost-load check and the rebuild."""

from __future__ import annotations

from orchestration.defs.ingest import inbox, load
from orchestration.defs.ingest.load import archived_files
from tests.orchestration.defs.ingest.conftest import LOADED_AT, PATIENTS_HEADER

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


def test_a_file_rewritten_after_it_was_hashed_is_left_for_the_next_run(registry):
    # The archive copy is named by the SHA-256 the manifest records: a file a transfer
    # rewrites between its hash and its load must not be archived or recorded under the
    # hash of bytes it no longer holds.
    path = registry.drop("patients_ANC-01_2026-03-01.csv",
                         [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05"])
    hashed = inbox.fingerprint(path)
    path.write_text("\n".join([PATIENTS_HEADER, "pat0002,ANC-01,1980,M,TRD,2,2026-01-06"]) + "\n")

    assert list(load.ingest_files(registry.con, [hashed], rejected_dir=registry.home / "rejected",
                                  archive_dir=registry.home / "archive", run_id="test",
                                  loaded_at=LOADED_AT)) == []
    assert registry.one("select count(*) from ops.ingest_manifest") == (0,)
    assert archived_files(registry.home / "archive") == {}
    assert path.exists()

    (outcome,) = registry.ingest()
    assert (outcome.status, outcome.rows_loaded) == ("LOADED", 1)
    assert registry.all("select patient_key from raw.patients") == [("pat0002",)]
    assert list(archived_files(registry.home / "archive")) == [inbox.sha256_of(path)]
