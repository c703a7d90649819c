"""Readers turn one export file into a DuckDB table of text columns.

This is the seam for other export formats: a reader for REDCap or FHIR
QuestionnaireResponse only has to produce the same table (one text column per
contract column, named as in exports.md, rows in file order) and register its
file suffix in READERS. Everything after it (PHI gate, contract rules,
versions, manifest) is shared.

Every value stays text here. Typing happens in SQL (rules.py), where a value
that does not parse becomes a quarantine reason instead of an exception.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import duckdb


class UnreadableFile(Exception):
    """The file cannot be read as the format it claims (REJECTED_SCHEMA).

    Messages never carry a value from the file: DuckDB's own errors quote the
    offending line, so only the line number is kept from them.
    """


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def normalise_column_name(name: str) -> str:
    """Column names match case-insensitively after trimming (exports.md)."""
    return name.strip().lower()


def _checked_names(raw_names: list[str]) -> list[str]:
    names = [normalise_column_name(n) for n in raw_names]
    if not names or all(n == "" for n in names):
        raise UnreadableFile("no header row")
    if any(n == "" for n in names):
        raise UnreadableFile(f"column {names.index('') + 1} of the header has no name")
    seen: set[str] = set()
    repeated = sorted({n for n in names if n in seen or seen.add(n)})
    if repeated:
        raise UnreadableFile("column names repeated in the header: " + ", ".join(repeated))
    return names


_LINE_IN_DUCKDB_ERROR = re.compile(r"on Line: (\d+)")


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as f:
        head = f.read(1 << 20)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(head, final=len(head) < (1 << 20))
    except UnicodeDecodeError as e:
        raise UnreadableFile("not UTF-8 encoded") from e
    if not text.strip():
        raise UnreadableFile("the file is empty")
    try:
        first = next(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as e:
        raise UnreadableFile("the header row is not valid CSV") from e
    return _checked_names(first)


def read_csv_as_text(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[str]:
    """RFC 4180 CSV, UTF-8 with an optional BOM; a ragged row fails the file.

    The sniffer is off on purpose: with it on, DuckDB 2.0 can return no rows
    at all for a file with one ragged line, which would lose records silently.
    """
    names = _csv_header(path)
    positional = {f"c{i}": "VARCHAR" for i in range(len(names))}
    select_list = ", ".join(
        f"c{i} as {quote_ident(n)}" for i, n in enumerate(names)
    )
    try:
        con.execute(
            f"""
            create or replace temp table {table} as
            select {select_list}
            from read_csv(?, header = true, auto_detect = false, columns = {positional!r},
                          delim = ',', quote = '"', escape = '"', strict_mode = true,
                          encoding = 'utf-8')
            """,
            [str(path)],
        )
    except duckdb.Error as e:
        message = str(e)
        line = _LINE_IN_DUCKDB_ERROR.search(message)
        where = f" at line {line.group(1)}" if line else ""
        if "unicode" in message.lower() or "utf" in message.lower():
            raise UnreadableFile(f"not UTF-8 encoded{where}") from None
        raise UnreadableFile(f"not parseable as RFC 4180 CSV{where}") from None
    return names


def read_parquet_as_text(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[str]:
    """Parquet with the contract's column names, typed or not."""
    try:
        described = con.execute(
            "select name from parquet_schema(?) where num_children is null or num_children = 0",
            [str(path)],
        ).fetchall()
        names = _checked_names([row[0] for row in described])
        source_names = [row[0] for row in described]
        select_list = ", ".join(
            f"cast({quote_ident(s)} as varchar) as {quote_ident(n)}"
            for s, n in zip(source_names, names, strict=True)
        )
        con.execute(
            f"create or replace temp table {table} as select {select_list} from read_parquet(?)",
            [str(path)],
        )
    except duckdb.Error:
        raise UnreadableFile("not a readable Parquet file") from None
    return names


Reader = Callable[[duckdb.DuckDBPyConnection, Path, str], list[str]]

READERS: dict[str, Reader] = {
    ".csv": read_csv_as_text,
    ".parquet": read_parquet_as_text,
}


def reader_for(path: Path) -> Reader | None:
    return READERS.get(path.suffix.lower())


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return suffix.lstrip(".").upper() if suffix in READERS else None
