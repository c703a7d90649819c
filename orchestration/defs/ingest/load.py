"""Load one export file: every row ends up loaded or quarantined, in one transaction.

The steps follow exports.md: identity by SHA-256, the PHI gate, the schema
check, the row rules (rules.py), record versions, then one transaction that
writes the new raw rows, the quarantine rows and the file's manifest row
together. After a crash at any point a re-run finds the file either fully
recorded or not at all.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.defs.ingest import phi_gate, readers, rules
from orchestration.defs.ingest.contract import Entity, FileStatus, Reason, entity_for_file
from orchestration.defs.ingest.inbox import InboxFile
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
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 8 << 20)
        out.flush()
        os.fsync(out.fileno())
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
    con.execute("begin transaction")
    _record_manifest(con, outcome, run_id, loaded_at)
    con.execute("commit")
    file.path.unlink(missing_ok=True)
    log.warning("%s: %s (%s)", file.name, outcome.status, outcome.reason)
    return outcome


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    file: InboxFile,
    *,
    rejected_dir: Path,
    archive_dir: Path,
    run_id: str,
    loaded_at: datetime,
    settled: dict[tuple[str, str], str] | None = None,
) -> FileOutcome | None:
    """Process one inbox file; None when this exact file was recorded before.

    `settled`, from settled_statuses, spares a query for a file recorded before.
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

    if first_seen is not None:
        first_name, first_status = first_seen
        if first_status in _REJECTED:
            outcome = FileOutcome(**base, status=FileStatus(first_status),
                                  reason=f"the same bytes were rejected before as {first_name}")
            return _reject(con, file, outcome, rejected_dir, run_id, loaded_at)
        outcome = FileOutcome(**base, status=FileStatus.DUPLICATE, duplicate_of=first_name,
                              reason=f"the same bytes were loaded before as {first_name}")
        con.execute("begin transaction")
        _record_manifest(con, outcome, run_id, loaded_at)
        con.execute("commit")
        return outcome

    def reject(status: FileStatus, reason: str) -> FileOutcome:
        return _reject(con, file, FileOutcome(**base, status=status, reason=reason),
                       rejected_dir, run_id, loaded_at)

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
        columns = reader(con, file.path, "incoming")
    except readers.UnreadableFile as e:
        return reject(FileStatus.REJECTED_SCHEMA, str(e))

    try:
        phi = phi_gate.phi_reason(con, "incoming", columns)
        if phi:
            return reject(FileStatus.REJECTED_PHI, phi)
        missing = [c for c in entity.required_names if c not in columns]
        if missing:
            return reject(FileStatus.REJECTED_SCHEMA,
                          "required columns missing: " + ", ".join(missing))
        extra = [c for c in columns if c not in entity.column_names]
        warnings = ("ignored unknown columns: " + ", ".join(extra)) if extra else None

        rules.check_rows(con, entity, "incoming", columns, loaded_at)
        _judge_versions(con, entity)
        _private_copy(file.path, archive_path(archive_dir, file))
        outcome = _commit_file(con, entity, columns,
                               FileOutcome(**base, status=FileStatus.LOADED, warnings=warnings),
                               run_id, loaded_at)
    finally:
        for table in ("incoming", "checked", "verdicts"):
            con.execute(f"drop table if exists {table}")
    log.info(
        "%s: %s rows read, %s loaded (%s unchanged, %s orphaned), %s quarantined",
        file.name, outcome.rows_read, outcome.rows_loaded, outcome.rows_unchanged,
        outcome.rows_orphaned, outcome.rows_quarantined,
    )
    return outcome


def _hash(columns: tuple[str, ...], alias: str) -> str:
    parts = ", ".join(
        f"coalesce(cast({alias}.{readers.quote_ident(c)} as varchar), chr(0))" for c in columns
    )
    return f"md5(concat_ws(chr(31), {parts}))"


def _judge_versions(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Temp table `verdicts`: the accepted rows that are not new, UNCHANGED or VERSION_CONFLICT.

    The first row seen for a (key, record_version) is kept; the same pair with
    identical content again is a no-op, with other content a conflict
    (exports.md, Versions). For assessments the unit is the administration.

    Most rows of a file are new versions seen once: those are settled by two
    cheap set operations, and only the contested keys (repeated in the file or
    already held) are hashed and compared.
    """
    if entity.name == "assessments":
        _judge_administration_versions(con)
        return
    key = ", ".join(entity.key)
    on = " and ".join(f"r.{k} = x.{k}" for k in (*entity.key, "record_version"))
    con.execute(
        f"""
        create or replace temp table verdicts as
        with accepted as (
            select _row_number, {key}, record_version from checked where reason is null
        ),
        contested as (
            select {key}, record_version from accepted group by all having count(*) > 1
            union
            select r.{key}, r.record_version from raw.{entity.name} as r
            semi join accepted as x on {on}
        ),
        contested_rows as (
            select _row_number, {key}, record_version, {_hash(entity.column_names, 'c')} as h,
                   row_number() over (partition by {key}, record_version
                                      order by _row_number) as nth
            from checked as c semi join contested using ({key}, record_version)
            where reason is null
        ),
        held as (
            select r.{key}, r.record_version, {_hash(entity.column_names, 'r')} as h
            from raw.{entity.name} as r semi join contested as x on {on}
        )
        select * from (
            select x._row_number,
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
    header = ("patient_key", "site_id", "entered_in_error", "instrument", "administered_at")
    header_hash = _hash(header, "a")
    # A value is read as a number and held as an integer: 3.0 and 3 must hash alike.
    content = ("string_agg(a.item || '=' || cast(cast(a.value as integer) as varchar), ',' "
               "order by a.item)")
    con.execute(
        f"""
        create or replace temp table verdicts as
        with accepted as (
            select _row_number, assessment_id, record_version, item
            from checked where reason is null
        ),
        -- An item row repeated with the same value (a different value was quarantined as
        -- DUPLICATE_ITEM_CONFLICT): the first is the item, the others are no-ops.
        repeats as (
            select _row_number, assessment_id, record_version from (
                select _row_number, assessment_id, record_version, row_number() over (
                    partition by assessment_id, record_version, item order by _row_number) as nth
                from accepted semi join (
                    select assessment_id, record_version, item from accepted
                    group by all having count(*) > 1
                ) using (assessment_id, record_version, item)
            ) where nth > 1
        ),
        held_keys as (
            select distinct r.assessment_id, r.record_version from raw.assessments as r
            semi join accepted as x
                on r.assessment_id = x.assessment_id and r.record_version = x.record_version
        ),
        in_file as (
            select assessment_id, record_version,
                   md5(any_value({header_hash}) || {content}) as h
            from checked as a
            semi join held_keys using (assessment_id, record_version)
            where reason is null and _row_number not in (select _row_number from repeats)
            group by assessment_id, record_version
        ),
        held as (
            select assessment_id, record_version,
                   md5(any_value({header_hash}) || {content}) as h
            from raw.assessments as a semi join held_keys using (assessment_id, record_version)
            group by assessment_id, record_version
        )
        select x._row_number,
               case when f.h = held.h then 'UNCHANGED' else '{Reason.VERSION_CONFLICT}' end
                   as verdict
        from accepted as x
        join in_file as f using (assessment_id, record_version)
        join held using (assessment_id, record_version)
        union all
        select _row_number, 'UNCHANGED' from repeats
        anti join held_keys using (assessment_id, record_version)
        """
    )


def _commit_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    file_columns: list[str],
    pending: FileOutcome,
    run_id: str,
    loaded_at: datetime,
) -> FileOutcome:
    columns = ", ".join(readers.quote_ident(c) for c in entity.column_names)
    rows_read, rows_rejected = con.execute(
        "select count(*), count(reason) from checked").fetchone()
    rows_conflicting, rows_unchanged = con.execute(
        f"select count(*) filter (where verdict = '{Reason.VERSION_CONFLICT}'), "
        "count(*) filter (where verdict = 'UNCHANGED') from verdicts").fetchone()
    rows_loaded = rows_read - rows_rejected - rows_conflicting
    rows_orphaned = 0
    if entity.name != "patients":
        rows_orphaned = con.execute(
            """
            select count(*) from checked as c
            anti join (select _row_number from verdicts where verdict <> 'UNCHANGED')
                using (_row_number)
            where c.reason is null
              and c.patient_key not in (select patient_key from raw.patients)
            """
        ).fetchone()[0]
    outcome = FileOutcome(
        **{**pending.__dict__, "rows_read": rows_read, "rows_loaded": rows_loaded,
           "rows_quarantined": rows_read - rows_loaded, "rows_unchanged": rows_unchanged,
           "rows_orphaned": rows_orphaned},
    )
    con.execute("begin transaction")
    try:
        load_id = _record_manifest(con, outcome, run_id, loaded_at)
        con.execute(
            f"""
            insert into raw.{entity.name} ({columns}, _file_sha256, _row_number, _load_id,
                                            _loaded_at)
            select {columns}, ?, _row_number, ?, ?
            from checked anti join verdicts using (_row_number)
            where reason is null
            """,
            [pending.file_sha256, load_id, loaded_at],
        )
        # The row as read, every column as text; built for quarantined rows only.
        row_json = "to_json(struct_pack(" + ", ".join(
            f"{readers.quote_ident(c)} := i.{readers.quote_ident(c)}" for c in file_columns
        ) + "))"
        con.execute(
            f"""
            insert into ops.quarantine
            select ?, ?, c._row_number, c.record_key,
                   coalesce(c.reason, v.verdict),
                   case when c.reason is not null then c.reason_column else 'record_version' end,
                   {row_json}, ?
            from checked as c
            left join verdicts as v using (_row_number)
            join (select rowid + 1 as _row_number, * from incoming) as i using (_row_number)
            where c.reason is not null or v.verdict = ?
            """,
            [pending.file_sha256, entity.name, loaded_at, str(Reason.VERSION_CONFLICT)],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcome
