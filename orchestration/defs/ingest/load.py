"""Load export files: every row ends up loaded or quarantined, in one transaction.

The steps follow exports.md: identity by SHA-256, the PHI gate, the schema
check, the row rules (rules.py), record versions, then one transaction that
writes the new raw rows, the quarantine rows and the manifest rows together.
Small files of one entity take the last three steps as a batch (BATCH_BYTES),
each file keeping its own manifest row, counts and verdicts. After a crash at
any point a re-run finds each file either fully recorded or not at all.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.defs.ingest import phi_gate, readers, rules
from orchestration.defs.ingest.contract import Entity, FileStatus, Reason, entity_for_file
from orchestration.defs.ingest.inbox import InboxFile, stat_key
from orchestration.settings import WAREHOUSE_DDL

log = logging.getLogger(__name__)

_REJECTED = {
    FileStatus.REJECTED_PHI,
    FileStatus.REJECTED_SCHEMA,
    FileStatus.REJECTED_UNKNOWN_ENTITY,
}


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file; mirrors its ops.ingest_manifest row."""

    file_sha256: str
    file_name: str
    entity: str | None
    file_format: str | None
    status: FileStatus
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    rows_orphaned: int = 0
    reason: str | None = None
    warnings: str | None = None
    duplicate_of: str | None = None


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(WAREHOUSE_DDL.read_text())


def _private_copy(source: Path, target: Path) -> None:
    """Copy readable by the owner only, appearing atomically under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Owner-only before its first byte; copyfile writes into it and keeps its mode.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    # copyfile copies in the kernel (sendfile on Linux), not through Python's buffers:
    # the inbox at 100k (1 GB) 1.3-3.3 s -> 0.9 s with the fsync.
    shutil.copyfile(source, partial)
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(partial, 0o600)
    os.replace(partial, target)


def rejected_path(rejected_dir: Path, file: InboxFile) -> Path:
    # Named by content, not by the clinic's file name, which is theirs to choose.
    return rejected_dir / f"{file.sha256}{file.path.suffix.lower()}"


def archive_path(archive_dir: Path, file: InboxFile) -> Path:
    return archive_dir / file.sha256[:2] / f"{file.sha256}{file.path.suffix.lower()}"


def archived_files(archive_dir: Path) -> dict[str, Path]:
    """Every whole archived file by its SHA-256 (as archive_path names them).

    A `.partial` is a copy a killed run left half-written (_private_copy): its load
    never committed, and the next run that finds the file in the inbox copies it again.
    It is not an archived file, and `ketreg rebuild` could not replay it.
    """
    if not archive_dir.is_dir():
        return {}
    return {path.name.split(".")[0]: path for path in sorted(archive_dir.glob("*/*"))
            if path.is_file() and not path.name.endswith(".partial")}


def settled_statuses(con: duckdb.DuckDBPyConnection,
                     names: list[str]) -> dict[tuple[str, str], str]:
    """The manifest's status of each (SHA-256, file name) it holds under these names.

    One query for a whole inbox, which keeps every file a clinic ever sent: a query a
    file would make each run's cost grow with the inbox's history. Only the file of
    that name can record a pair of that name, so what a run records does not change
    the answer for its other files.
    """
    rows = con.execute(
        "select file_sha256, file_name, status from ops.ingest_manifest "
        "where file_name in (select unnest(?::varchar[]))", [names],
    ).fetchall()
    return {(sha, name): status for sha, name, status in rows}


def _manifest_lookup(con: duckdb.DuckDBPyConnection, file: InboxFile,
                     settled: dict[tuple[str, str], str] | None):
    """(status for this exact name, earliest row for these bytes under any name)."""
    if settled is not None and (recorded := settled.get((file.sha256, file.name))):
        return recorded, None  # nothing more is needed of a file recorded before
    rows = con.execute(
        "select file_name, status from ops.ingest_manifest where file_sha256 = ? "
        "order by load_id",
        [file.sha256],
    ).fetchall()
    same_name = next((status for name, status in rows if name == file.name), None)
    return same_name, (rows[0] if rows else None)


def _record_manifest(
    con: duckdb.DuckDBPyConnection, outcome: FileOutcome, run_id: str, loaded_at: datetime
) -> int:
    """Insert the file's manifest row; returns its load_id."""
    (load_id,) = con.execute("select nextval('ops.load_id_seq')").fetchone()
    con.execute(
        "insert into ops.ingest_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id, outcome.file_sha256, outcome.file_name, outcome.entity, outcome.file_format,
            str(outcome.status), outcome.rows_read, outcome.rows_loaded,
            outcome.rows_quarantined, outcome.rows_unchanged, outcome.rows_orphaned,
            outcome.reason, outcome.warnings, outcome.duplicate_of, run_id, loaded_at,
        ],
    )
    return load_id


def _record_alone(con: duckdb.DuckDBPyConnection, outcome: FileOutcome, run_id: str,
                  loaded_at: datetime) -> FileOutcome:
    con.execute("begin transaction")
    _record_manifest(con, outcome, run_id, loaded_at)
    con.execute("commit")
    return outcome


def _reject(
    con: duckdb.DuckDBPyConnection,
    file: InboxFile,
    outcome: FileOutcome,
    rejected_dir: Path,
    run_id: str,
    loaded_at: datetime,
) -> FileOutcome:
    """Keep a private copy, record the rejection, then take the file out of the inbox."""
    _private_copy(file.path, rejected_path(rejected_dir, file))
    _record_alone(con, outcome, run_id, loaded_at)
    file.path.unlink(missing_ok=True)
    log.warning("%s: %s (%s)", file.name, outcome.status, outcome.reason)
    return outcome


# A batch's files go through the rules, the versions and the commit together: each of
# those queries costs DuckDB ~3 ms of planning however few its rows, about 40 ms a file,
# and a day's export at 100,000 patients is ~36 files of a few hundred rows. A file of
# this size or more goes alone, which bounds what a batch holds in memory.
BATCH_BYTES = 16 << 20


@dataclass(frozen=True)
class _Admitted:
    """A file that passed the gates, read into its own text table, awaiting its batch."""

    file: InboxFile
    entity: Entity
    table: str
    columns: list[str]
    base: dict
    warnings: str | None


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: list[InboxFile],
    *,
    rejected_dir: Path,
    archive_dir: Path,
    run_id: str,
    loaded_at: datetime,
    settled: dict[tuple[str, str], str] | None = None,
) -> Iterator[FileOutcome]:
    """Process inbox files in the order given, yielding each new file's outcome in that
    order; a file recorded before yields nothing.

    Consecutive files of one entity that pass the gates load as one batch (BATCH_BYTES):
    anything else, a rejection, a duplicate or another entity, closes the batch before it
    is recorded, so that manifest load ids follow the files' order as if each file had
    been loaded alone, and every verdict is the one it would get alone. `settled`, from
    settled_statuses, spares a query for each file recorded before.
    """
    batch: list[_Admitted] = []
    tables = (f"incoming_{i}" for i in itertools.count())

    def flush() -> Iterator[FileOutcome]:
        if batch:
            try:
                yield from _load_batch(con, batch, run_id, loaded_at)
            finally:
                _drop(con, [admitted.table for admitted in batch])
                batch.clear()

    try:
        for file in files:
            if any(admitted.file.sha256 == file.sha256 for admitted in batch):
                yield from flush()  # the same bytes again: recorded as its duplicate below
            gated = _admit(con, file, next(tables), settled, archive_dir)
            if gated is None:
                continue
            if isinstance(gated, _Admitted):
                if batch and (batch[0].entity != gated.entity
                              or sum(a.file.size for a in batch) + gated.file.size
                              > BATCH_BYTES):
                    yield from flush()
                batch.append(gated)
                continue
            yield from flush()
            if gated.status == FileStatus.DUPLICATE:
                yield _record_alone(con, gated, run_id, loaded_at)
            else:
                yield _reject(con, file, gated, rejected_dir, run_id, loaded_at)
        yield from flush()
    finally:
        _drop(con, [admitted.table for admitted in batch])


def _admit(
    con: duckdb.DuckDBPyConnection,
    file: InboxFile,
    table: str,
    settled: dict[tuple[str, str], str] | None,
    archive_dir: Path,
) -> _Admitted | FileOutcome | None:
    """A file's gates (exports.md): identity, entity, format, the PHI gate, the schema.

    None for a file recorded before, or changed since it was hashed; the outcome to record
    for a rejection or a duplicate; a file that passes is read into `table` and copied to
    the archive.
    """
    seen_status, first_seen = _manifest_lookup(con, file, settled)
    if seen_status is not None:
        if seen_status in _REJECTED and file.path.exists():
            # A crash came between recording the rejection and removing the file.
            file.path.unlink()
        return None

    entity = entity_for_file(file.name)
    fmt = readers.file_format(file.path)
    base = dict(file_sha256=file.sha256, file_name=file.name,
                entity=entity.name if entity else None, file_format=fmt)

    def reject(status: FileStatus, reason: str) -> FileOutcome:
        return FileOutcome(**base, status=status, reason=reason)

    if first_seen is not None:
        first_name, first_status = first_seen
        if first_status in _REJECTED:
            return reject(FileStatus(first_status),
                          f"the same bytes were rejected before as {first_name}")
        return FileOutcome(**base, status=FileStatus.DUPLICATE, duplicate_of=first_name,
                           reason=f"the same bytes were loaded before as {first_name}")

    if entity is None:
        return reject(
            FileStatus.REJECTED_UNKNOWN_ENTITY,
            "the file name starts with none of patients, sessions, assessments, adverse_events",
        )
    reader = readers.reader_for(file.path)
    if reader is None:
        return reject(FileStatus.REJECTED_SCHEMA,
                      f"unsupported file type '{file.path.suffix}': CSV or Parquet expected")
    if file.size == 0:
        return reject(FileStatus.REJECTED_SCHEMA, "the file is empty")
    try:
        columns = reader(con, file.path, table)
    except readers.UnreadableFile as e:
        return reject(FileStatus.REJECTED_SCHEMA, str(e))
    refusal = _refusal(con, entity, table, columns)
    if refusal is not None:
        _drop(con, [table])
        return reject(*refusal)
    if not _archived_as_hashed(file, archive_dir):
        _drop(con, [table])
        log.warning("%s: changed while being read; left for next run", file.name)
        return None
    extra = [c for c in columns if c not in entity.column_names]
    warnings = ("ignored unknown columns: " + ", ".join(extra)) if extra else None
    return _Admitted(file=file, entity=entity, table=table, columns=columns, base=base,
                     warnings=warnings)


def _archived_as_hashed(file: InboxFile, archive_dir: Path) -> bool:
    """Copy the file to the archive, under its SHA-256; False, and no copy, when it changed
    after it was hashed (any write moves its ctime): what was read and copied would not be
    the bytes the manifest names. Its batch commits later, so the copy is made here, right
    after the file is read, and checked once made."""
    target = archive_path(archive_dir, file)
    _private_copy(file.path, target)
    if file.stat_key is not None and stat_key(file.path) != file.stat_key:
        target.unlink(missing_ok=True)
        return False
    return True


def _refusal(con: duckdb.DuckDBPyConnection, entity: Entity, table: str,
             columns: list[str]) -> tuple[FileStatus, str] | None:
    phi = phi_gate.phi_reason(con, table, columns)
    if phi:
        return FileStatus.REJECTED_PHI, phi
    missing = [c for c in entity.required_names if c not in columns]
    if missing:
        return FileStatus.REJECTED_SCHEMA, "required columns missing: " + ", ".join(missing)
    return None


def _drop(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for table in tables:
        con.execute(f"drop table if exists {table}")


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_Admitted],
    run_id: str,
    loaded_at: datetime,
) -> Iterator[FileOutcome]:
    entity = batch[0].entity
    try:
        rules.check_rows(con, entity, [(a.table, a.columns) for a in batch], loaded_at)
        _judge_versions(con, entity, len(batch))
        outcomes = _commit_batch(con, entity, batch, run_id, loaded_at)
    finally:
        _drop(con, ["checked", "verdicts", "held_keys"])
    for outcome in outcomes:
        log.info(
            "%s: %s rows read, %s loaded (%s unchanged, %s orphaned), %s quarantined",
            outcome.file_name, outcome.rows_read, outcome.rows_loaded, outcome.rows_unchanged,
            outcome.rows_orphaned, outcome.rows_quarantined,
        )
        yield outcome


def _hash(columns: tuple[str, ...], alias: str) -> str:
    parts = ", ".join(
        f"coalesce(cast({alias}.{readers.quote_ident(c)} as varchar), chr(0))" for c in columns
    )
    return f"md5(concat_ws(chr(31), {parts}))"


def _find_held_keys(con: duckdb.DuckDBPyConnection, entity: Entity, files: int) -> None:
    """Temp table `held_keys`: the (key, record_version) pairs of the batch's accepted rows
    that raw already holds (for assessments, the (assessment_id, record_version) pairs).

    Looked up file by file: a file's keys are one clinic's, close together, and DuckDB
    skips the history's row groups outside their range; the batch's keys together span
    every clinic's, whose range every row group overlaps (8.6M assessment rows read at
    100,000 patients, against 2 row groups for a day's file).
    """
    keys = ("assessment_id",) if entity.name == "assessments" else entity.key
    columns = (*keys, "record_version")
    on = " and ".join(f"r.{c} = x.{c}" for c in columns)
    con.execute(
        "create or replace temp table held_keys as " + " union ".join(
            f"select {', '.join(f'r.{c}' for c in columns)} from raw.{entity.name} as r "
            f"semi join (select {', '.join(columns)} from checked "
            f"where _file = {index} and reason is null) as x on {on}"
            for index in range(files)
        )
    )


def _judge_versions(con: duckdb.DuckDBPyConnection, entity: Entity, files: int) -> None:
    """Temp table `verdicts`: the batch's accepted rows that are not new, UNCHANGED or
    VERSION_CONFLICT, by (_file, _row_number).

    The first row seen for a (key, record_version), in the batch's file order and then
    the file's row order, is kept; the same pair with identical content again is a no-op,
    with other content a conflict (exports.md, Versions). For assessments the unit is
    the administration.

    Most rows are new versions seen once: those are settled by two cheap set
    operations, and only the contested keys (repeated in the batch or already held)
    are hashed and compared.
    """
    _find_held_keys(con, entity, files)
    if entity.name == "assessments":
        _judge_administration_versions(con)
        return
    key = ", ".join(entity.key)
    on = " and ".join(f"r.{k} = x.{k}" for k in (*entity.key, "record_version"))
    con.execute(
        f"""
        create or replace temp table verdicts as
        with accepted as (
            select _file, _row_number, {key}, record_version from checked where reason is null
        ),
        contested as (
            select {key}, record_version from accepted group by all having count(*) > 1
            union
            select {key}, record_version from held_keys
        ),
        contested_rows as (
            select _file, _row_number, {key}, record_version,
                   {_hash(entity.column_names, 'c')} as h,
                   row_number() over (partition by {key}, record_version
                                      order by _file, _row_number) as nth
            from checked as c semi join contested using ({key}, record_version)
            where reason is null
        ),
        held as (
            select r.{key}, r.record_version, {_hash(entity.column_names, 'r')} as h
            from raw.{entity.name} as r semi join contested as x on {on}
        )
        select * from (
            select x._file, x._row_number,
                   case
                       when held.h is not null and held.h = x.h then 'UNCHANGED'
                       when held.h is not null then '{Reason.VERSION_CONFLICT}'
                       when x.nth = 1 then 'NEW'
                       when x.h = f.h then 'UNCHANGED'
                       else '{Reason.VERSION_CONFLICT}'
                   end as verdict
            from contested_rows as x
            left join held using ({key}, record_version)
            join (select {key}, record_version, h from contested_rows where nth = 1) as f
                using ({key}, record_version)
        ) where verdict <> 'NEW'
        """
    )


def _judge_administration_versions(con: duckdb.DuckDBPyConnection) -> None:
    """`verdicts` for assessments: a file's administration at a (assessment_id,
    record_version) held before, or given by an earlier file of the batch, is UNCHANGED
    when its header and items are the same, else a VERSION_CONFLICT."""
    header = ("patient_key", "site_id", "entered_in_error", "instrument", "administered_at")
    header_hash = _hash(header, "a")
    # A value is read as a number and held as an integer: 3.0 and 3 must hash alike.
    content = ("string_agg(a.item || '=' || cast(cast(a.value as integer) as varchar), ',' "
               "order by a.item)")
    con.execute(
        f"""
        create or replace temp table verdicts as
        with accepted as (
            select _file, _row_number, assessment_id, record_version, item
            from checked where reason is null
        ),
        -- An item row repeated in a file with the same value (a different value was
        -- quarantined as DUPLICATE_ITEM_CONFLICT): the first is the item, the others no-ops.
        repeats as (
            select _file, _row_number, assessment_id, record_version from (
                select _file, _row_number, assessment_id, record_version, row_number() over (
                    partition by _file, assessment_id, record_version, item
                    order by _row_number) as nth
                from accepted semi join (
                    select _file, assessment_id, record_version, item from accepted
                    group by all having count(*) > 1
                ) using (_file, assessment_id, record_version, item)
            ) where nth > 1
        ),
        -- Each administration's first file in the batch; given again by a later file, it is
        -- what that file's is compared with, as if loaded before it.
        firsts as (
            select assessment_id, record_version, min(_file) as first_file,
                   count(distinct _file) > 1 as repeated
            from accepted group by assessment_id, record_version
        ),
        contested as (
            select assessment_id, record_version, first_file,
                   h.assessment_id is not null as held
            from firsts
            left join held_keys as h using (assessment_id, record_version)
            where repeated or h.assessment_id is not null
        ),
        in_batch as (
            select _file, assessment_id, record_version,
                   md5(any_value({header_hash}) || {content}) as h
            from checked as a
            semi join contested using (assessment_id, record_version)
            anti join repeats using (_file, _row_number)
            where reason is null
            group by _file, assessment_id, record_version
        ),
        reference as (
            select assessment_id, record_version, -1 as ref_file,
                   md5(any_value({header_hash}) || {content}) as h
            from raw.assessments as a
            semi join held_keys using (assessment_id, record_version)
            group by assessment_id, record_version
            union all
            select b.assessment_id, b.record_version, b._file as ref_file, b.h
            from in_batch as b join contested as c using (assessment_id, record_version)
            where not c.held and b._file = c.first_file
        ),
        judged as (
            select b._file, b.assessment_id, b.record_version,
                   case when b.h = r.h then 'UNCHANGED' else '{Reason.VERSION_CONFLICT}' end
                       as verdict
            from in_batch as b join reference as r using (assessment_id, record_version)
            where b._file <> r.ref_file
        )
        select x._file, x._row_number, j.verdict
        from accepted as x
        join judged as j using (_file, assessment_id, record_version)
        union all
        select _file, _row_number, 'UNCHANGED' from repeats
        anti join judged using (_file, assessment_id, record_version)
        """
    )


def _commit_batch(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    batch: list[_Admitted],
    run_id: str,
    loaded_at: datetime,
) -> list[FileOutcome]:
    """Each file's counts, then one transaction: the files' manifest rows (load ids in the
    batch's order), their new raw rows and their quarantine rows."""
    columns = ", ".join(readers.quote_ident(c) for c in entity.column_names)
    orphaned = "0"
    if entity.name != "patients":
        # A loaded row (new or unchanged) whose patient is not held: patients load first.
        orphaned = (
            "count(*) filter (where c.reason is null "
            f"and v.verdict is distinct from '{Reason.VERSION_CONFLICT}' "
            "and c.patient_key not in (select patient_key from raw.patients))"
        )
    counts = con.execute(
        f"""
        select _file, count(*), count(c.reason),
               count(*) filter (where v.verdict = '{Reason.VERSION_CONFLICT}'),
               count(*) filter (where v.verdict = 'UNCHANGED'),
               {orphaned}
        from checked as c left join verdicts as v using (_file, _row_number)
        group by _file
        """
    ).fetchall()
    by_file = {row[0]: row[1:] for row in counts}
    outcomes = []
    for index, admitted in enumerate(batch):
        rows_read, rejected, conflicting, unchanged, orphans = by_file.get(index, (0,) * 5)
        rows_loaded = rows_read - rejected - conflicting
        outcomes.append(FileOutcome(
            **admitted.base, status=FileStatus.LOADED, warnings=admitted.warnings,
            rows_read=rows_read, rows_loaded=rows_loaded,
            rows_quarantined=rows_read - rows_loaded, rows_unchanged=unchanged,
            rows_orphaned=orphans,
        ))
    con.execute("begin transaction")
    try:
        load_ids = [_record_manifest(con, outcome, run_id, loaded_at) for outcome in outcomes]
        con.execute(
            "create or replace temp table batch_files as select unnest(?::integer[]) as _file, "
            "unnest(?::varchar[]) as file_sha256, unnest(?::bigint[]) as load_id",
            [list(range(len(batch))), [a.file.sha256 for a in batch], load_ids],
        )
        con.execute(
            f"""
            insert into raw.{entity.name} ({columns}, _file_sha256, _row_number, _load_id,
                                            _loaded_at)
            select {columns}, b.file_sha256, c._row_number, b.load_id, ?
            from checked as c
            join batch_files as b using (_file)
            anti join verdicts using (_file, _row_number)
            where c.reason is null
            """,
            [loaded_at],
        )
        for index, (admitted, outcome) in enumerate(zip(batch, outcomes, strict=True)):
            if outcome.rows_quarantined:
                _quarantine(con, index, admitted, entity, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists batch_files")
    return outcomes


def _quarantine(con: duckdb.DuckDBPyConnection, index: int, admitted: _Admitted,
                entity: Entity, loaded_at: datetime) -> None:
    """The file's quarantined rows, each with its reason and the row as read: every column
    of the file as text, built for these rows only."""
    row_json = "to_json(struct_pack(" + ", ".join(
        f"{readers.quote_ident(c)} := i.{readers.quote_ident(c)}" for c in admitted.columns
    ) + "))"
    con.execute(
        f"""
        insert into ops.quarantine
        select ?, ?, c._row_number, c.record_key,
               coalesce(c.reason, v.verdict),
               case when c.reason is not null then c.reason_column else 'record_version' end,
               {row_json}, ?
        from (select * from checked where _file = ?) as c
        left join verdicts as v using (_file, _row_number)
        join (select rowid + 1 as _row_number, * from {admitted.table}) as i using (_row_number)
        where c.reason is not null or v.verdict = ?
        """,
        [admitted.file.sha256, entity.name, loaded_at, index, str(Reason.VERSION_CONFLICT)],
    )
