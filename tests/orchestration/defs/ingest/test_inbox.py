"""A run reads again only the inbox files that are new or changed since they were hashed."""

from __future__ import annotations

import os
import time

from orchestration.defs.ingest import inbox
from tests.orchestration.defs.ingest.conftest import PATIENTS_HEADER

PATIENTS = [PATIENTS_HEADER, "pat0001,ANC-01,1980,F,MDD,2,2026-01-05"]
SAME_SIZE = [PATIENTS_HEADER, "pat0002,ANC-01,1981,M,MDD,3,2026-01-06"]


def _read_counter(monkeypatch) -> list[str]:
    read = []
    hash_whole_file = inbox.sha256_of

    def counting(path):
        read.append(path.name)
        return hash_whole_file(path)

    monkeypatch.setattr(inbox, "sha256_of", counting)
    return read


def test_a_file_unchanged_since_it_was_hashed_is_not_read_again(registry, monkeypatch):
    path = registry.drop("patients_ANC-01_2026-01-05.csv", PATIENTS)
    first = inbox.fingerprint(path)
    inbox.remember_fingerprints(registry.con, [first])
    read = _read_counter(monkeypatch)

    again = inbox.fingerprint(path, inbox.known_fingerprints(registry.con))

    assert read == []
    assert again.sha256 == first.sha256 == inbox.sha256_of(path)


def test_a_file_rewritten_in_place_is_read_again_even_with_its_old_size_and_time(
        registry, monkeypatch):
    path = registry.drop("patients_ANC-01_2026-01-05.csv", PATIENTS)
    first = inbox.fingerprint(path)
    inbox.remember_fingerprints(registry.con, [first])
    old = path.stat()
    time.sleep(0.02)  # past the file system clock's tick
    path.write_text("\n".join(SAME_SIZE) + "\n")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))  # as a careless copy would
    assert path.stat().st_size == old.st_size and path.stat().st_mtime_ns == old.st_mtime_ns
    read = _read_counter(monkeypatch)

    again = inbox.fingerprint(path, inbox.known_fingerprints(registry.con))

    assert read == [path.name]
    assert again.sha256 != first.sha256


def test_the_fingerprints_follow_the_inbox_as_it_is_now(registry):
    kept = inbox.fingerprint(registry.drop("patients_ANC-01_2026-01-05.csv", PATIENTS))
    gone = inbox.fingerprint(registry.drop("patients_ANC-01_2026-01-06.csv", SAME_SIZE))
    inbox.remember_fingerprints(registry.con, [kept, gone])

    inbox.remember_fingerprints(registry.con, [kept])

    assert inbox.known_fingerprints(registry.con) == {kept.name: (kept.stat_key, kept.sha256)}


def test_an_empty_inbox_forgets_every_fingerprint(registry):
    path = registry.drop("patients_ANC-01_2026-01-05.csv", PATIENTS)
    inbox.remember_fingerprints(registry.con, [inbox.fingerprint(path)])

    inbox.remember_fingerprints(registry.con, [])

    assert inbox.known_fingerprints(registry.con) == {}
