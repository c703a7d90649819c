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


# --- signing in, and what a page offers for download ---------------------------------


def signed_in(user: str, password: str) -> AppTest:
    """A fresh app session with `user` signed in through the sign-in form."""
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.run()
    submit_sign_in(app, user, password)
    assert not app.exception, [e.value for e in app.exception]
    assert not sign_in_form_shown(app), f"{user} was not signed in: {errors(app)}"
    return app


def submit_sign_in(app: AppTest, user: str, password: str) -> AppTest:
    app.text_input(key="signin-user").input(user)
    app.text_input(key="signin-password").input(password)
    next(b for b in app.button if b.label == "Sign in").click()
    return app.run()


def sign_in_form_shown(app: AppTest) -> bool:
    return any(t.key == "signin-password" for t in app.text_input)


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def go(app: AppTest, page: str) -> AppTest:
    return app.switch_page(PAGES[page]).run()


class Downloads:
    """The data callables of every download button rendered since `clear()`, by file name.

    Streamlit calls a download's callable when the button is clicked; this calls it
    as a click would, which also writes the download's audit record.
    """

    def __init__(self, monkeypatch):
        from streamlit.runtime.media_file_manager import MediaFileManager

        self.made: dict[str, object] = {}
        original = MediaFileManager.add_deferred
        downloads = self

        def add_deferred(manager, data_callable, mimetype, coordinates, file_name=None,
                         **kwargs):
            downloads.made[file_name] = data_callable
            return original(manager, data_callable, mimetype, coordinates, file_name=file_name,
                            **kwargs)

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def clear(self) -> None:
        self.made.clear()

    def names(self) -> list[str]:
        return [name.removesuffix(".csv") for name in self.made]

    def csv(self, name: str) -> pd.DataFrame:
        """A download as a person opening the CSV would read it: every cell as text."""
        import io

        content = self.made[f"{name}.csv"]()
        return pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)

    def all(self) -> dict[str, pd.DataFrame]:
        return {name: self.csv(name) for name in self.names()}


def visible_text(app: AppTest) -> str:
    """Everything a page shows as text: tables, charts' data, metrics, words, choices."""
    parts: list[str] = []
    for node in app.main:
        kind = getattr(node, "type", None)
        if kind == "dataframe":
            parts.append(node.value.to_csv(index=False))
        elif kind == "plotly_chart":
            parts.append(node.proto.spec)
    for element in (*app.metric, *app.markdown, *app.caption, *app.info, *app.warning,
                    *app.error, *app.title, *app.subheader):
        parts.append(str(getattr(element, "label", "")))
        parts.append(str(getattr(element, "value", "")))
    for widget in (*app.selectbox, *app.multiselect, *app.radio):
        parts.extend(str(option) for option in widget.options)
    for element in app.sidebar:
        parts.append(str(getattr(element, "value", "")))
    return "\n".join(parts)
