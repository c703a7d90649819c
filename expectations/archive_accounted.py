"""Every archived export is in the manifest: the check that no loaded file was lost.

An accepted file is copied to KETREG_HOME/archive just before its transaction commits. A
file there that the manifest does not list as LOADED, once the ingest step has run, was
archived by a load whose commit never reached the warehouse (a WAL whose torn end DuckDB
dropped on opening, an older warehouse restored from a backup) and that the inbox no
longer holds to load again: its rows are missing from every number the registry shows,
and nothing else would say so. `ketreg rebuild` replays it from the archive.

GX has no expectation for this, so it is plain Python reporting in the SuiteResult shape.
The archive is listed by orchestration/defs/ingest/load.py, which writes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from expectations.result import PlainCheck, SuiteResult, suite_result_from_plain_checks

SUITE_NAME = "ops.archive_accounted"
_NAMED = 5


def check_archive_accounted(archived: Iterable[str], loaded: Iterable[str]) -> SuiteResult:
    missing = sorted(set(archived) - set(loaded))
    if missing:
        named = ", ".join(sha[:12] for sha in missing[:_NAMED])
        more = f" and {len(missing) - _NAMED} more" if len(missing) > _NAMED else ""
        message = (f"{len(missing)} archived file(s) are not in the manifest ({named}{more}): "
                   "their rows are missing from the warehouse; run `ketreg rebuild`")
    else:
        message = "every archived file is in the manifest"
    check = PlainCheck("expect_archive_to_be_in_manifest", {}, not missing, message,
                       {"observed_value": len(missing)})
    return suite_result_from_plain_checks(SUITE_NAME, [check])
