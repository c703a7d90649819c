"""Every chart of the dashboards, in plotly.

Builders take a frame that has already passed small-cell suppression (a
hidden value is NaN, so its bar or point is simply not drawn) and return a
figure; they compute nothing clinical. Routes keep one colour everywhere.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

ROUTE_COLOURS = {
    "IV": "#1f77b4", "IM": "#ff7f0e", "IN": "#2ca02c", "SL": "#9467bd", "PO": "#8c564b",
    "ALL": "#7f7f7f",
}
SIGNAL_COLOURS = {"beyond_limits": "#d62728", "in_run": "#ff7f0e", "common": "#1f77b4"}


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str,
            y_percent: bool = False, x_values: pd.Series | None = None) -> go.Figure:
    figure.update_layout(title=title, legend_title_text="", margin=dict(t=60, b=40),
                         hovermode="closest")
    figure.update_xaxes(title_text=x_title)
    if x_values is not None and pd.api.types.is_datetime64_any_dtype(x_values):
        # Dates, not instants: months by name, days by date, never a midnight clock.
        monthly = bool((x_values.dropna().dt.day == 1).all())
        figure.update_xaxes(tickformat="%b %Y" if monthly else "%Y-%m-%d",
                            hoverformat="%b %Y" if monthly else "%Y-%m-%d")
    figure.update_yaxes(title_text=y_title)
    if y_percent:
        figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure


def _groups(frame: pd.DataFrame, colour: str | None):
    """(legend name, rows, colour) per value of `colour`, or one unnamed group."""
    if colour is None:
        yield None, frame, None
        return
    for name, rows in frame.groupby(colour, sort=False):
        yield str(name), rows, ROUTE_COLOURS.get(str(name)) if colour == "route" else None


def interval_bars(frame: pd.DataFrame, *, x: str, value: str, low: str, high: str,
                  colour: str | None = None, title: str = "", x_title: str = "",
                  y_title: str = "", y_percent: bool = True) -> go.Figure:
    """Grouped bars with asymmetric error bars from `low` to `high` (a Wilson interval, an IQR)."""
    figure = go.Figure()
    for name, rows, bar_colour in _groups(frame, colour):
        figure.add_trace(go.Bar(
            x=rows[x], y=rows[value], name=name, marker_color=bar_colour,
            showlegend=name is not None,
            error_y=dict(type="data", symmetric=False, array=rows[high] - rows[value],
                         arrayminus=rows[value] - rows[low]),
            customdata=rows[[low, high]].to_numpy(),
            hovertemplate=("%{x}: %{y:.1%} (%{customdata[0]:.1%}–%{customdata[1]:.1%})"
                           if y_percent else
                           "%{x}: %{y} (%{customdata[0]}–%{customdata[1]})") + "<extra></extra>",
        ))
    figure.update_layout(barmode="group")
    return _layout(figure, title, x_title, y_title, y_percent, frame[x])


def count_bars(frame: pd.DataFrame, *, x: str, y: str, colour: str | None = None,
               title: str = "", x_title: str = "", y_title: str = "",
               stacked: bool = True) -> go.Figure:
    figure = go.Figure()
    for name, rows, bar_colour in _groups(frame, colour):
        figure.add_trace(go.Bar(x=rows[x], y=rows[y], name=name, marker_color=bar_colour,
                                showlegend=name is not None))
    figure.update_layout(barmode="stack" if stacked else "group")
    return _layout(figure, title, x_title, y_title, x_values=frame[x])


def grouped_counts(frame: pd.DataFrame, *, x: str, series: dict[str, str], title: str = "",
                   x_title: str = "", y_title: str = "") -> go.Figure:
    """One bar per column in `series` (column -> legend label) at each x."""
    figure = go.Figure([go.Bar(x=frame[x], y=frame[column], name=label)
                        for column, label in series.items()])
    figure.update_layout(barmode="group")
    return _layout(figure, title, x_title, y_title, x_values=frame[x])


def median_bands(frame: pd.DataFrame, *, x: str, median: str, q1: str, q3: str, group: str,
                 title: str = "", x_title: str = "", y_title: str = "") -> go.Figure:
    """A median line per group with its interquartile range as a shaded band."""
    figure = go.Figure()
    # A hidden point is left out, so that the band does not fold over the gap.
    for name, rows in frame.dropna(subset=[median, q1, q3]).groupby(group, sort=True):
        colour = ROUTE_COLOURS.get(str(name))
        rows = rows.sort_values(x)
        figure.add_trace(go.Scatter(x=rows[x], y=rows[q3], mode="lines", line=dict(width=0),
                                    showlegend=False, hoverinfo="skip", legendgroup=str(name)))
        figure.add_trace(go.Scatter(
            x=rows[x], y=rows[q1], mode="lines", line=dict(width=0), fill="tonexty",
            fillcolor=_translucent(colour), showlegend=False, hoverinfo="skip",
            legendgroup=str(name)))
        figure.add_trace(go.Scatter(
            x=rows[x], y=rows[median], mode="lines+markers", name=str(name),
            line=dict(color=colour), legendgroup=str(name),
            customdata=rows[[q1, q3]].to_numpy(),
            hovertemplate=f"{name}: median %{{y}} (IQR %{{customdata[0]}}–%{{customdata[1]}})"
                          "<extra></extra>"))
    return _layout(figure, title, x_title, y_title)


def _translucent(colour: str | None) -> str:
    if not colour:
        return "rgba(127,127,127,0.2)"
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.15)"


def p_chart(frame: pd.DataFrame, *, x: str, title: str = "", y_title: str = "") -> go.Figure:
    """A p-chart from dashboards.spc.p_chart: points, centre line, stepped limits, signals."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame[x], y=frame["ucl"], mode="lines", name="Upper limit",
                                line=dict(color="#7f7f7f", dash="dash", shape="hvh")))
    figure.add_trace(go.Scatter(x=frame[x], y=frame["lcl"], mode="lines", name="Lower limit",
                                line=dict(color="#7f7f7f", dash="dash", shape="hvh")))
    figure.add_trace(go.Scatter(x=frame[x], y=frame["centre"], mode="lines", name="Centre (p̄)",
                                line=dict(color="#2ca02c")))
    signal = pd.Series("common", index=frame.index)
    signal = signal.mask(frame["in_run"].astype(bool), "in_run")
    signal = signal.mask(frame["beyond_limits"].astype(bool), "beyond_limits")
    labels = {"common": "Monthly rate", "in_run": "Run of 8 on one side",
              "beyond_limits": "Beyond a limit"}
    figure.add_trace(go.Scatter(x=frame[x], y=frame["p"], mode="lines", showlegend=False,
                                line=dict(color="#1f77b4", width=1), hoverinfo="skip"))
    for kind in ("common", "in_run", "beyond_limits"):
        points = frame.loc[signal == kind]
        figure.add_trace(go.Scatter(
            x=points[x], y=points["p"], mode="markers", name=labels[kind],
            marker=dict(color=SIGNAL_COLOURS[kind], size=9 if kind == "common" else 12),
            customdata=points[["x", "n"]].to_numpy(),
            hovertemplate="%{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})<extra></extra>"))
    return _layout(figure, title, "", y_title, y_percent=True, x_values=frame[x])


def outcome_rate_bars(frame: pd.DataFrame, *, measure: str, title: str = "") -> go.Figure:
    """One measure (response or remission) by indication, a bar per route, 'ALL' included."""
    return interval_bars(frame, x="indication", value=f"{measure}_rate",
                         low=f"{measure}_ci_low", high=f"{measure}_ci_high", colour="route",
                         title=title, y_title="Share of courses")
