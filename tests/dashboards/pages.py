"""Rendering dashboard pages with Streamlit's AppTest, and reading what they show."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboards import navigation

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboards" / "app.py"
PAGES = {page.name: page.path for page in navigation.PAGES}
RUN_TIMEOUT = 60


def render(page: str) -> AppTest:
    """One page of the app as a first visit shows it (KETREG_HOME as the environment says)."""
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.run()
    if page != navigation.PAGES[0].name:
        app.switch_page(PAGES[page]).run()
    return app


@dataclass
class Shown:
    """What a page showed, by the names dashboards.ui gave its tables, charts and downloads."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    charts: dict[str, dict] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)


def shown(app: AppTest) -> Shown:
    """ui.table and ui.chart put their download button right after the table or chart."""
    result = Shown()
    pending_table: pd.DataFrame | None = None
    pending_chart: dict | None = None
    for node in app.main:
        kind = getattr(node, "type", None)
        if kind == "dataframe":
            pending_table = node.value
        elif kind == "plotly_chart":
            pending_chart = json.loads(node.proto.spec)
        elif kind == "download_button":
            name = node.proto.id.split("download-", 1)[1]
            result.downloads.append(name)
            if pending_table is not None:
                result.tables[name] = pending_table
            if pending_chart is not None:
                result.charts[name] = pending_chart
            pending_table = pending_chart = None
    return result


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def infos(app: AppTest) -> list[str]:
    return [i.value for i in app.info]


def trace_values(spec: dict, trace_name: str, axis: str = "y") -> list:
    """A trace's values from a plotly figure spec (plotly sends numbers base64-encoded)."""
    trace = next(t for t in spec["data"] if t.get("name") == trace_name)
    values = trace[axis]
    if isinstance(values, dict) and "bdata" in values:
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return [None if np.isnan(v) else float(v) for v in array.astype(float)]
    return list(values)


def cell_texts(column: pd.Series) -> list:
    return [None if pd.isna(v) else str(v) for v in column]
