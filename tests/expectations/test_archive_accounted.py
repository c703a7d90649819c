"""An archived file missing from the manifest is a lost load, and the check says so."""

from __future__ import annotations

from expectations.archive_accounted import check_archive_accounted


def test_every_archived_file_loaded_passes():
    result = check_archive_accounted(["ab" + "1" * 62], loaded=["ab" + "1" * 62, "cd" + "2" * 62])

    assert result.success and result.failures == []


def test_lost_loads_are_counted_named_and_the_repair_given():
    archived = [f"{i:02x}" + "0" * 62 for i in range(7)]

    result = check_archive_accounted(archived, loaded=archived[:0])

    assert not result.success
    assert result.failures == [
        "expect_archive_to_be_in_manifest: 7 archived file(s) are not in the manifest "
        "(000000000000, 010000000000, 020000000000, 030000000000, 040000000000 and 2 more): "
        "their rows are missing from the warehouse; run `ketreg rebuild`"]


def test_no_archive_yet_passes():
    assert check_archive_accounted([], loaded=[]).success
