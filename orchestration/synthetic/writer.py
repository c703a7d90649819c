"""Writes one export file, CSV or Parquet, with a deterministic name, bytes and mtime.

CSV: UTF-8, comma separated, a header row, values unquoted (no value we write holds a
comma, quote or line break; pyarrow refuses to write one unquoted rather than break the
file), empty cells for missing values. Parquet: the same columns, every value as text,
exactly the CSV cell (null for an empty cell), so that deliberately malformed values such
as `2026-02-30` survive in both formats.
"""

import os
from datetime import UTC, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from .clock import iso_date

FORMATS = ("csv", "parquet")
_CSV_OPTIONS = pcsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=65536)


def file_name(entity: str, site: str, day: int, fmt: str) -> str:
    return f"{entity}_{site}_{iso_date(day)}.{fmt}"


def write_table(columns: dict[str, pa.Array], path: Path, fmt: str, day: int) -> int:
    """Writes the file; its modification time is noon UTC of the file's date. Returns rows."""
    table = pa.table(columns)
    if fmt == "csv":
        pcsv.write_csv(table, path, _CSV_OPTIONS)
    else:
        as_text = pa.table({name: table[name].cast(pa.string()) for name in table.column_names})
        pq.write_table(as_text, path)
    stamp_mtime(path, day)
    return table.num_rows


def stamp_mtime(path: Path, day: int) -> None:
    # A fixed mtime makes an inbox that sorts by arrival time see the files in date order.
    noon = datetime.combine(datetime.fromisoformat(iso_date(day)).date(), time(12), UTC)
    os.utime(path, (noon.timestamp(), noon.timestamp()))
