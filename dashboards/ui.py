"""How every page shows things: tables, charts, downloads, empty states, sections.

Tables and charts accept only a SafeFrame (dashboards.suppression), and each
offers the CSV of exactly the data behind it, suppressed the same way, through
the one download helper below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data
from dashboards.access import session
from dashboards.data import MissingTables
from dashboards.suppression import SafeFrame

_PERCENT_COLUMN = re.compile(r".*_(rate|ci_low|ci_high)$")


def _is_calendar_date(column: pd.Series) -> bool:
    """A DuckDB DATE arrives as a midnight timestamp; show it as the date it is."""
    if not pd.api.types.is_datetime64_any_dtype(column):
        return False
    values = column.dropna()
    return bool((values == values.dt.normalize()).all())


def _require_safe(frame: object) -> SafeFrame:
    if not isinstance(frame, SafeFrame):
        raise TypeError("pages show only frames that passed dashboards.suppression.suppress")
    return frame


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


@contextmanager
def section(title: str) -> Iterator[None]:
    """A titled part of a page; a table the snapshot lacks empties it, not the whole page."""
    st.subheader(title)
    try:
        yield
    except MissingTables as missing:
        not_in_snapshot(missing)


def not_in_snapshot(missing: MissingTables) -> None:
    empty_state(f"Not available: the published snapshot has no {', '.join(missing.tables)}. "
                "It appears once a version of the pipeline that builds it has run (`ketreg run`).")


def csv_bytes(frame: SafeFrame) -> bytes:
    """A download's content: exactly what the table shows, suppressed the same way."""
    return _require_safe(frame).display().to_csv(index=False).encode("utf-8")


def download(frame: SafeFrame, name: str) -> None:
    """The CSV of a table's or chart's data, suppressed as shown.

    Made when the button is clicked, which is when the audit log records who
    downloaded what and how many rows.
    """
    frame = _require_safe(frame)
    record = session.download_recorder(name)

    def content() -> bytes:
        data = csv_bytes(frame)
        record(len(frame))
        return data

    st.download_button(
        "Download CSV", content, file_name=f"{name}.csv", mime="text/csv",
        key=f"download-{name}", on_click="ignore", icon=":material/download:", type="tertiary",
    )


def table(frame: SafeFrame, *, name: str, empty: str, caption: str | None = None) -> None:
    frame = _require_safe(frame)
    if frame.empty:
        empty_state(empty)
        return
    shown = frame.display()
    config = {c: st.column_config.NumberColumn(format="percent")
              for c in shown.columns if _PERCENT_COLUMN.match(c)}
    config.update({c: st.column_config.DateColumn(format="YYYY-MM-DD")
                   for c in shown.columns if _is_calendar_date(shown[c])})
    # A hidden rate shows as a blank cell, not as "None".
    st.dataframe(shown, hide_index=True, column_config=config, key=f"table-{name}",
                 placeholder="")
    if caption:
        st.caption(caption)
    download(frame, name)


def chart(frame: SafeFrame, build: Callable[..., go.Figure], *, name: str, empty: str,
          caption: str | None = None, **options) -> None:
    """`build(values, **options)` draws the suppressed values; hidden cells are not drawn."""
    frame = _require_safe(frame)
    if frame.empty:
        empty_state(empty)
        return
    st.plotly_chart(build(frame.values, **options), key=f"chart-{name}")
    if caption:
        st.caption(caption)
    download(frame, name)


def definition(text: str) -> None:
    """The definition a rate display used, right under it."""
    st.caption(text)


def rate_metric(column, label: str, rate: float | None, low: float | None,
                high: float | None) -> None:
    """A rate as a metric ("42.0%", or "—" when hidden or undefined), its interval beneath."""
    if rate is None or _missing(rate):
        column.metric(label, "—")
        return
    column.metric(label, f"{rate:.1%}")
    if not (low is None or high is None or _missing(low) or _missing(high)):
        column.caption(f"95% CI {100 * low:.1f}–{high:.1%}")


def count_text(value: object) -> str:
    """A count as displayed: "1,234", the suppression label, or "—" when there is none."""
    if isinstance(value, str):
        return f"{int(value):,}" if value.isdigit() else value
    if value is None or _missing(value):
        return "—"
    return f"{int(value):,}"


def when(value: object, format: str) -> str:
    """A date or time as text, or "—" when there is none."""
    if value is None or pd.isna(value):
        return "—"
    return f"{pd.Timestamp(value):{format}}"


def _missing(value: object) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def site_picker(*, key: str, network_label: str = "All sites (network)") -> str:
    """'ALL' (the whole network) or one of the sites the viewer may see."""
    sites = data.visible_sites()
    return st.selectbox("Site", ["ALL", *sites], key=key,
                        format_func=lambda s: network_label if s == "ALL" else s)
