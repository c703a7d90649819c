"""The export's calendar: a fixed export date and fast text formatting of days and minutes.

Times are integers: days since 1970-01-01 and minutes since 1970-01-01 00:00, clinic
wall-clock time (the contract keeps wall-clock time as written, without offsets).
"""

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EXPORT_DATE = date(2026, 10, 31)
_EPOCH = date(1970, 1, 1)
MINUTES_PER_DAY = 1440
EXPORT_DAY = (EXPORT_DATE - _EPOCH).days
# 2026-10-31 23:59: no valid row holds a later timestamp.
LAST_MINUTE = EXPORT_DAY * MINUTES_PER_DAY + MINUTES_PER_DAY - 1

_TIMES_OF_DAY = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(MINUTES_PER_DAY)])


def day_number(d: date) -> int:
    return (d - _EPOCH).days


def iso_date(day: int) -> str:
    return (_EPOCH + timedelta(days=int(day))).isoformat()


def date_texts(days: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD` for each day; formatted once per distinct day, then looked up."""
    if len(days) == 0:
        return pa.array([], pa.string())
    first = int(days.min())
    lookup = pa.array([iso_date(d) for d in range(first, int(days.max()) + 1)])
    return lookup.take(pa.array(days - first))


def timestamp_texts(minutes: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD HH:MM` for each minute, as in the example export."""
    days = minutes // MINUTES_PER_DAY
    times = _TIMES_OF_DAY.take(pa.array(minutes - days * MINUTES_PER_DAY))
    return pc.binary_join_element_wise(date_texts(days), times, " ")


def calendar_year(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def timestamp_text(minute: int) -> str:
    day, minute_of_day = divmod(int(minute), MINUTES_PER_DAY)
    return f"{iso_date(day)} {minute_of_day // 60:02d}:{minute_of_day % 60:02d}"
