"""The contract's row rules, as one SQL statement for a batch of files.

`check_rows` reads tables of text columns (readers.py), one a file, and
writes a temp table `checked` holding, for every row of every file: the
file's place in the batch (`_file`) and the row's in the file
(`_row_number`), its typed values, the first reason it breaks the contract
(or null), the column that reason is about, and its record key as written.
The rules are generated from contract.py, so each rule is written once for
every column that has it. Assessments are then judged per administration,
which belongs to one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.defs.ingest.contract import Column, Entity, Kind, Reason
from orchestration.defs.ingest.readers import quote_ident
from orchestration.settings import INSTRUMENT_CATALOG

_INTEGER_TEXT = r"[+-]?[0-9]+(\.0*)?"
_NUMBER_TEXT = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PATIENT_KEY = r"[A-Za-z0-9_-]{6,64}"
_SITE_ID = r"[A-Z0-9-]{2,16}"
_TRUE = "('true', 't', 'yes', 'y', '1')"
_FALSE = "('false', 'f', 'no', 'n', '0')"


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _trimmed(cell: str) -> str:
    """The cell without the spaces around it, null when nothing is left.

    DuckDB's trim removes Unicode space separators, decoding the whole string to find
    the last one, and copies it; an ASCII cell (as long in bytes as in characters) that
    neither starts nor ends with a space is what trim would return, and most are.
    """
    return (
        f"case when prefix({cell}, ' ') or suffix({cell}, ' ') "
        f"or strlen({cell}) <> length({cell}) then nullif(trim({cell}), '') "
        f"else nullif({cell}, '') end"
    )


def _text(column: Column) -> str:
    """The cell as trimmed text, the contract's default when it is empty."""
    name = f"t_{column.name}"
    return f"coalesce({name}, '{column.default}')" if column.default else name


def _code_list(text: str) -> str:
    return (
        f"list_sort(list_distinct(list_filter(list_transform(string_split({text}, ';'), "
        f"lambda x: upper(trim(x))), lambda x: x <> '')))"
    )


def _typed(column: Column) -> str:
    t = _text(column)
    match column.kind:
        case Kind.INTEGER:
            # DuckDB's cast reads the zeros after a point (2.000 is 2) and rounds others,
            # which the pattern has refused.
            return (
                f"case when regexp_full_match({t}, '{_INTEGER_TEXT}') "
                f"then try_cast({t} as integer) end"
            )
        case Kind.NUMBER:
            return (
                f"case when regexp_full_match({t}, '{_NUMBER_TEXT}') "
                f"then try_cast({t} as double) end"
            )
        case Kind.BOOLEAN:
            return (
                f"case when lower({t}) in {_TRUE} then true "
                f"when lower({t}) in {_FALSE} then false end"
            )
        case Kind.DATE:
            return (
                f"case when regexp_full_match({t}, '{_DATE_TEXT}') "
                f"then cast(try_strptime({t}, '%Y-%m-%d') as date) end"
            )
        case Kind.TIMESTAMP:
            # DuckDB's own cast reads ISO 8601 with a space or a 'T', drops an offset
            # and keeps the wall-clock time (exports.md), several times faster than a
            # regular expression and strptime. The length test refuses a bare date.
            return f"case when length({t}) >= 16 then try_cast({t} as timestamp) end"
        case Kind.CODE:
            return f"upper({t})"
        case Kind.CODE_LIST:
            return f"nullif(array_to_string({_code_list(t)}, ';'), '')"
        case Kind.ITEM:
            return (
                f"case when lower({t}) = 'total' then 'total' "
                f"when regexp_full_match({t}, '[0-9]{{1,4}}') "
                f"then cast(cast({t} as integer) as varchar) end"
            )
        case _:
            return t


@dataclass(frozen=True)
class _Check:
    column: str
    condition: str
    reason: Reason


def _column_checks(column: Column) -> list[_Check]:
    """The checks of one column, in the order their reasons take precedence."""
    t, v, name = _text(column), quote_ident(column.name), column.name
    checks = []
    if column.required:
        checks.append(_Check(name, f"{t} is null", Reason.MISSING_REQUIRED))
    unparsed = {
        Kind.INTEGER: Reason.INVALID_TYPE,
        Kind.NUMBER: Reason.INVALID_TYPE,
        Kind.BOOLEAN: Reason.INVALID_TYPE,
        Kind.DATE: Reason.INVALID_DATE,
        Kind.TIMESTAMP: Reason.INVALID_DATE,
        Kind.ITEM: Reason.UNKNOWN_ITEM,
    }
    if column.kind in unparsed:
        checks.append(_Check(name, f"{t} is not null and {v} is null", unparsed[column.kind]))
    if column.kind == Kind.PATIENT_KEY:
        checks.append(_Check(name, f"not regexp_full_match({v}, '{_PATIENT_KEY}')",
                             Reason.MALFORMED_KEY))
    if column.kind == Kind.SITE_ID:
        checks.append(_Check(name, f"not regexp_full_match({v}, '{_SITE_ID}')",
                             Reason.MALFORMED_KEY))
    if column.kind == Kind.RECORD_ID:
        checks.append(_Check(name, f"length({v}) > 64", Reason.MALFORMED_KEY))
    if column.kind == Kind.CODE and column.codes:
        checks.append(_Check(name, f"not list_contains({_sql_list(column.codes)}, {v})",
                             Reason.INVALID_CODE))
    if column.kind == Kind.CODE_LIST:
        # The typed value's codes: the cell's, each trimmed and upper-cased, once.
        checks.append(_Check(
            name,
            f"not list_has_all({_sql_list(column.codes)}, string_split({v}, ';'))",
            Reason.INVALID_CODE,
        ))
    bounds = []
    if column.minimum is not None:
        bounds.append(f"{v} {'<=' if column.exclusive_minimum else '<'} {column.minimum}")
    if column.maximum is not None:
        bounds.append(f"{v} > {column.maximum}")
    if column.maximum_sql is not None:
        bounds.append(f"{v} > {column.maximum_sql}")
    if bounds:
        checks.append(_Check(name, " or ".join(bounds), Reason.OUT_OF_RANGE))
    if column.kind == Kind.TIMESTAMP:
        checks.append(_Check(name, f"{v} > loaded_at + interval 1 day", Reason.FUTURE_TIMESTAMP))
    if column.kind == Kind.DATE:
        checks.append(_Check(name, f"{v} > cast(loaded_at as date) + interval 1 day",
                             Reason.FUTURE_TIMESTAMP))
    return checks


def _assessment_checks(column: Column) -> list[_Check]:
    """Rules that depend on the instrument catalog (outcomes.md, Instruments)."""
    match column.name:
        case "instrument":
            return [_Check("instrument", "cat.catalog_instrument is null", Reason.INVALID_CODE)]
        case "item":
            return [_Check(
                "item",
                "case when item = 'total' then cat.total_max is null "
                "else cat.n_items is null or cast(item as integer) not between 1 and cat.n_items "
                "end",
                Reason.UNKNOWN_ITEM,
            )]
        case "value":
            return [
                _Check("value", "value <> floor(value)", Reason.INVALID_TYPE),
                _Check(
                    "value",
                    "case when item = 'total' "
                    "then value not between cat.total_min and cat.total_max "
                    "else value not between cat.item_min and cat.item_max end",
                    Reason.OUT_OF_RANGE,
                ),
            ]
    return []


def _checks(entity: Entity) -> list[_Check]:
    checks = []
    for column in entity.columns:
        checks += _column_checks(column)
        if entity.name == "assessments":
            checks += _assessment_checks(column)
    return checks


def ensure_instrument_catalog(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create temp table if not exists instrument_catalog as "
        "select * from read_csv(?, header = true)",
        [str(INSTRUMENT_CATALOG)],
    )


def check_rows(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    sources: list[tuple[str, list[str]]],
    loaded_at: datetime,
) -> None:
    """Create temp table `checked` for the rows of the batch's files (see module docstring).

    `sources` holds each file's text table and the columns it has, in load order; a
    column the file lacks is read as empty.
    """
    cleaned = " union all ".join(
        f"select {index} as _file, rowid + 1 as _row_number, " + ", ".join(
            f"{_trimmed(quote_ident(c.name))} as t_{c.name}"
            if c.name in columns
            else f"cast(null as varchar) as t_{c.name}"
            for c in entity.columns
        ) + f" from {table}"
        for index, (table, columns) in enumerate(sources)
    )
    typed = ", ".join(f"{_typed(c)} as {quote_ident(c.name)}" for c in entity.columns)
    checks = _checks(entity)
    # One CASE names both the reason and its column, so each condition is evaluated once.
    failure = "case " + " ".join(
        f"when {c.condition} then '{c.reason}|{c.column}'" for c in checks
    ) + " end"
    record_key = " || '|' || ".join(f"coalesce(t_{k}, '')" for k in entity.key)
    catalog_join = ""
    if entity.name == "assessments":
        ensure_instrument_catalog(con)
        catalog_join = (
            "left join (select * rename (instrument as catalog_instrument) "
            "from instrument_catalog) as cat on cat.catalog_instrument = typed.instrument"
        )
    typed_names = ", ".join(quote_ident(c.name) for c in entity.columns)
    con.execute(
        f"""
        create or replace temp table checked as
        with source as (
            {cleaned}
        ),
        typed as (
            select source.*, {record_key} as record_key,
                   cast(? as timestamp) as loaded_at, {typed}
            from source
        )
        select * exclude (failure),
               nullif(split_part(failure, '|', 1), '') as reason,
               nullif(split_part(failure, '|', 2), '') as reason_column
        from (
            select _file, _row_number, {typed_names}, record_key, {failure} as failure
            from typed
            {catalog_join}
        )
        """,
        [loaded_at],
    )
    if entity.name == "assessments":
        _judge_administrations(con)


def _judge_administrations(con: duckdb.DuckDBPyConnection) -> None:
    """All rows of one assessment_id in a file are judged together (exports.md).

    A row that breaks a rule keeps its own reason and takes its whole
    administration with it (ADMINISTRATION_REJECTED for the other rows).
    Rules about the administration as a whole apply to all its rows. Only the
    few administrations with a verdict are rewritten, not the whole file.
    """
    con.execute(
        f"""
        create or replace temp table administration_verdicts as
        with good as (
            select *, case when item <> 'total' then cast(item as integer) end as item_number
            from checked where reason is null
        ),
        administrations as (
            -- One group per administration, not per item row: an item given twice shows as
            -- fewer bits than item rows, and only those administrations are judged item by
            -- item. An item past a bigint's bits (none in today's catalog) sets no bit, so
            -- its administration goes that way too.
            select _file, assessment_id,
                   -- The rows of one administration must describe the same event.
                   -- min <> max per column: several times cheaper than counting distinct tuples.
                   min(patient_key) <> max(patient_key) or min(site_id) <> max(site_id)
                   or min(instrument) <> max(instrument)
                   or min(administered_at) <> max(administered_at)
                   or min(record_version) <> max(record_version)
                   or bool_or(entered_in_error) <> bool_and(entered_in_error) as inconsistent,
                   any_value(instrument) as instrument,
                   count(item_number) as item_rows,
                   bit_or(case when item_number < 63 then 1::bigint << item_number end) as items,
                   sum(value) filter (where item_number is not null) as item_sum,
                   count(*) filter (where item = 'total') as total_rows,
                   max(value) filter (where item = 'total') as stated_total
            from good group by _file, assessment_id
        ),
        repeated_items as (
            select _file, assessment_id, item, min(value) <> max(value) as conflicting,
                   any_value(value) as value
            from good semi join (
                select _file, assessment_id from administrations
                where total_rows > 1 or item_rows <> bit_count(items)
            ) using (_file, assessment_id)
            group by _file, assessment_id, item
        ),
        repeated as (
            select _file, assessment_id,
                   bool_or(conflicting) as conflicting,
                   count(*) filter (where item <> 'total') as item_rows,
                   sum(value) filter (where item <> 'total') as item_sum
            from repeated_items group by _file, assessment_id
        ),
        judged as (
            select a._file, a.assessment_id,
                   case
                       when a.inconsistent then '{Reason.INCONSISTENT_ADMINISTRATION}'
                       when r.conflicting then '{Reason.DUPLICATE_ITEM_CONFLICT}'
                       when a.stated_total is not null
                            and (case when r.assessment_id is null then a.item_rows
                                      else r.item_rows end) = cat.n_items
                            and (case when r.assessment_id is null then a.item_sum
                                      else r.item_sum end) <> a.stated_total
                           then '{Reason.TOTAL_MISMATCH}'
                   end as reason
            from administrations as a
            left join repeated as r using (_file, assessment_id)
            left join instrument_catalog as cat on cat.instrument = a.instrument
        ),
        broken as (
            select distinct _file, assessment_id, '{Reason.ADMINISTRATION_REJECTED}' as reason
            from checked where reason is not null and assessment_id is not null
        )
        select _file, assessment_id, coalesce(j.reason, b.reason) as reason
        from judged as j full join broken as b using (_file, assessment_id)
        where coalesce(j.reason, b.reason) is not null
        """
    )
    con.execute(
        f"""
        update checked set
            reason = v.reason,
            reason_column = case when v.reason in ('{Reason.DUPLICATE_ITEM_CONFLICT}',
                                                   '{Reason.TOTAL_MISMATCH}') then 'value' end
        from administration_verdicts as v
        where checked._file = v._file and checked.assessment_id = v.assessment_id
          and checked.reason is null
        """
    )
    con.execute("drop table administration_verdicts")
