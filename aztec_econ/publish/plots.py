"""Plotly figures and the project theme.

Every figure is built through `_figure`, which applies the registered template `TEMPLATE` (importing this module also
makes it plotly's default, so ad-hoc figures in notebooks share it). Simulation is drawn in solid lines/bars, theory
(`aztec_econ.analysis.theory`, evaluated by `aztec_econ.analysis.expectations`) in dashed black lines.

`use_report_renderer()` must run in a notebook before any figure is shown: with plotly 7 and nbconvert 7, the default
renderer emits only the `application/vnd.plotly.v1+json` mimetype, which nbconvert cannot render, so figures silently
vanish from the HTML. plotly's own `notebook` renderer is not offline either: it makes every figure load MathJax from
a CDN. The `OfflineHtmlRenderer` registered here embeds plotly.js once (when activated) and draws each figure as
HTML without MathJax; combined with the plotly mimetype, figures stay interactive in JupyterLab and extractable as
JSON (`aztec-econ figures`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import NDArray
from plotly.io.base_renderers import MimetypeRenderer
from plotly.offline import get_plotlyjs

TEMPLATE = "aztec_econ"
OFFLINE_RENDERER = "aztec_econ_offline"
REPORT_RENDERER = f"plotly_mimetype+{OFFLINE_RENDERER}"

MODE_COLOURS = {"happy": "#009E73", "backup": "#E69F00", "skipped": "#D55E00"}
THEORY_LINE = {"color": "black", "dash": "dash", "width": 1.5}
# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
COLOURWAY = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

pio.templates[TEMPLATE] = go.layout.Template(
    layout={
        "font": {"family": "Inter, Helvetica, Arial, sans-serif", "size": 13, "color": "#222"},
        "colorway": COLOURWAY,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "title": {"x": 0.0, "xanchor": "left", "font": {"size": 16}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0.0},
        "xaxis": {"showgrid": True, "gridcolor": "#eee", "zeroline": False, "linecolor": "#999"},
        "yaxis": {"showgrid": True, "gridcolor": "#eee", "zeroline": False, "linecolor": "#999"},
        "hovermode": "x unified",
        "height": 420,
    }
)
pio.templates.default = f"plotly_white+{TEMPLATE}"


class OfflineHtmlRenderer(MimetypeRenderer):
    """Figures as `text/html` divs that need no network: plotly.js is emitted once, inline, by `activate` (in the
    cell that sets the renderer), and figures reference the global `Plotly`; no MathJax, no CDN."""

    def activate(self) -> None:
        from IPython.display import HTML, display

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
        display(HTML(f'<div class="aztec-econ-plotlyjs" style="display:none">{script}</div>'))

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            default_height=420,
            validate=False,
        )
        return {"text/html": html}


pio.renderers[OFFLINE_RENDERER] = OfflineHtmlRenderer()


def use_report_renderer() -> None:
    """Set the renderer that embeds figures (and plotly.js, offline) in notebooks exported to HTML. Setting it again
    is a no-op (re-setting would embed plotly.js a second time)."""
    pio.templates.default = f"plotly_white+{TEMPLATE}"
    if pio.renderers.default != REPORT_RENDERER:
        pio.renderers.default = REPORT_RENDERER


def _figure(title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=pio.templates.default, title=title, xaxis_title=x_title, yaxis_title=y_title, **layout
    )
    return fig


def _theory_hline(fig: go.Figure, y: float, label: str, x: Sequence[float]) -> None:
    """A dashed theory line at `y` across `x` (a trace, so it is listed in the legend and in exported JSON)."""
    fig.add_trace(
        go.Scatter(x=[x[0], x[-1]], y=[y, y], mode="lines", line=THEORY_LINE, name=label, hoverinfo="skip")
    )


def mode_shares(series: pd.DataFrame, theory: Mapping[str, float] | None = None) -> go.Figure:
    """Share of slots per mode over time (`analysis.mode_share_series`) with the closed-form long-run shares."""
    fig = _figure("Slots by outcome over time", "day", "share of slots", yaxis_rangemode="tozero")
    days = series["day"].to_numpy()
    for mode, colour in MODE_COLOURS.items():
        fig.add_trace(go.Scatter(x=days, y=series[mode], name=f"{mode} (simulated)", line={"color": colour}))
        if theory is not None and len(days):
            _theory_hline(fig, theory[mode], f"{mode} (theory)", days)
    fig.update_yaxes(type="log", title="share of slots (log)")
    return fig


def histogram(
    values: NDArray[np.float64],
    title: str,
    x_title: str,
    theory_mean: float | None = None,
    theory_label: str = "theory mean",
    bins: int = 60,
) -> go.Figure:
    """Distribution of `values` (share of observations per bin; binned here so the figure stays small) with a solid
    line at the simulated mean and a dashed one at the theory mean, if any."""
    fig = _figure(title, x_title, "share", bargap=0.05, hovermode="closest")
    values = np.asarray(values, dtype=np.float64)
    if values.size:
        counts, edges = np.histogram(values, bins=bins)
        fig.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2,
                y=counts / values.size,
                width=np.diff(edges),
                name="simulated",
                marker_color=COLOURWAY[0],
            )
        )
        fig.add_vline(x=float(values.mean()), line={"color": COLOURWAY[0], "width": 1.5})
    if theory_mean is not None:
        fig.add_vline(x=theory_mean, line=THEORY_LINE)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=THEORY_LINE, name=theory_label))
    return fig


def band_lines(
    series: pd.DataFrame,
    columns: Mapping[str, str],
    title: str,
    y_title: str,
    theory: Mapping[str, float] | None = None,
) -> go.Figure:
    """Mean over runs of each column (`analysis.mean_over_runs`), a 5-95% band, and a dashed theory level per column.

    `columns` maps a column name to its legend label.
    """
    fig = _figure(title, "day", y_title)
    days = series["day"].to_numpy()
    for i, (column, label) in enumerate(columns.items()):
        colour = COLOURWAY[i % len(COLOURWAY)]
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([days, days[::-1]]),
                y=np.concatenate([series[f"{column}_p95"], series[f"{column}_p05"][::-1]]),
                fill="toself",
                fillcolor=colour,
                opacity=0.15,
                line={"width": 0},
                name=f"{label} 5-95%",
                hoverinfo="skip",
            )
        )
        fig.add_trace(go.Scatter(x=days, y=series[column], name=label, line={"color": colour}))
        if theory is not None and column in theory and len(days):
            _theory_hline(fig, theory[column], f"{label} (theory)", days)
    return fig


def bars(
    values: Mapping[str, float], title: str, y_title: str, errors: Mapping[str, float] | None = None
) -> go.Figure:
    """One bar per key of `values`, with symmetric error bars (e.g. confidence half-widths) if given."""
    fig = _figure(title, "", y_title, showlegend=False)
    names = list(values)
    error = {"type": "data", "array": [errors[n] for n in names]} if errors else None
    fig.add_trace(go.Bar(x=names, y=[values[n] for n in names], error_y=error, marker_color=COLOURWAY[0]))
    return fig


def lorenz(
    population: NDArray[np.float64],
    share: NDArray[np.float64],
    theory: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    title: str = "Lorenz curve of sequencer rewards",
) -> go.Figure:
    """Lorenz curve (simulated), the line of equality, and a theory curve (e.g. luck alone, `theory.poisson_lorenz`)."""
    fig = _figure(title, "share of keys (poorest first)", "share of rewards", hovermode="closest")
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#999", "width": 1}, name="equality")
    )
    fig.add_trace(
        go.Scatter(x=population, y=share, mode="lines", name="simulated", line={"color": COLOURWAY[0]})
    )
    if theory is not None:
        fig.add_trace(
            go.Scatter(x=theory[0], y=theory[1], mode="lines", line=THEORY_LINE, name="luck alone (theory)")
        )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return fig


THEORY_DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot")
"""Dash styles that tell several theory curves of one figure apart (all black, like `THEORY_LINE`)."""


def sweep_lines(
    frame: pd.DataFrame,
    x: str,
    y: str | Mapping[str, str],
    title: str,
    x_title: str,
    y_title: str,
    group: str | None = None,
    labels: Mapping[Any, str] | None = None,
    theory: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    log_y: bool = False,
    log_x: bool = False,
    sort: bool = True,
) -> go.Figure:
    """Simulated KPIs of a parameter sweep (`aztec_econ.sweep.runner.sweep_table`) against a swept parameter `x`, with
    95% error bars (from `{column}_ci` where present), and closed-form curves drawn as black lines with distinct
    dashes.

    `y` is one column, drawn once per value of `group` (legend: `labels[value]`, default the value), or a mapping of
    columns to legend labels (then `group` must be None). `theory` maps a legend label to (x, y) points of a curve.
    Points are joined in order of `x` (`sort`), or in the frame's order (e.g. for an ordered categorical `x`).
    """
    fig = _figure(title, x_title, y_title, hovermode="closest")
    if isinstance(y, str):
        if group is None:
            traces = [(frame, y, labels.get(y, y) if labels else y)]
        else:
            traces = [
                (part, y, (labels or {}).get(value, str(value)))
                for value, part in frame.groupby(group, sort=False)
            ]
    else:
        if group is not None:
            raise ValueError("give several y columns or a group, not both")
        traces = [(frame, column, label) for column, label in y.items()]
    for i, (part, column, label) in enumerate(traces):
        part = part.sort_values(x) if sort else part
        errors = f"{column}_ci"
        error = {"type": "data", "array": part[errors].to_numpy()} if errors in part else None
        fig.add_trace(
            go.Scatter(
                x=part[x].to_numpy(),
                y=part[column].to_numpy(),
                mode="lines+markers",
                name=f"{label} (simulated)",
                line={"color": COLOURWAY[i % len(COLOURWAY)]},
                error_y=error,
            )
        )
    for i, (label, (tx, ty)) in enumerate((theory or {}).items()):
        line = {**THEORY_LINE, "dash": THEORY_DASHES[i % len(THEORY_DASHES)]}
        fig.add_trace(
            go.Scatter(x=list(tx), y=list(ty), mode="lines", line=line, name=label, hoverinfo="skip")
        )
    if log_y:
        fig.update_yaxes(type="log")
    if log_x:
        fig.update_xaxes(type="log")
    return fig


def grouped_bars(
    frame: pd.DataFrame,
    x: str,
    y: str | Mapping[str, str],
    title: str,
    x_title: str,
    y_title: str,
    group: str | None = None,
    labels: Mapping[Any, str] | None = None,
    x_labels: Mapping[Any, str] | None = None,
    colours: Sequence[str] | None = None,
) -> go.Figure:
    """Simulated KPIs of a parameter sweep (`aztec_econ.sweep.runner.sweep_table`) by category: the values of `x`
    are categories (shown as `x_labels[value]`, default the value), in the frame's order, with bars side by side
    and 95% error bars (from `{column}_ci` where present).

    `y` is one column, one bar series per value of `group` (legend: `labels[value]`, default the value), or a
    mapping of columns to legend labels (then `group` must be None). `colours` gives the series' colours in order
    (default the theme's).
    """
    fig = _figure(title, x_title, y_title, barmode="group", hovermode="closest")
    if isinstance(y, str):
        if group is None:
            traces = [(frame, y, labels.get(y, y) if labels else y)]
        else:
            traces = [
                (part, y, (labels or {}).get(value, str(value)))
                for value, part in frame.groupby(group, sort=False)
            ]
    else:
        if group is not None:
            raise ValueError("give several y columns or a group, not both")
        traces = [(frame, column, label) for column, label in y.items()]
    palette = list(colours) if colours else COLOURWAY
    order = [(x_labels or {}).get(v, str(v)) for v in dict.fromkeys(frame[x].tolist())]
    for i, (part, column, label) in enumerate(traces):
        errors = f"{column}_ci"
        error = {"type": "data", "array": part[errors].to_numpy()} if errors in part else None
        fig.add_trace(
            go.Bar(
                x=[(x_labels or {}).get(v, str(v)) for v in part[x].tolist()],
                y=part[column].to_numpy(),
                name=f"{label} (simulated)",
                marker_color=palette[i % len(palette)],
                error_y=error,
            )
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return fig


def kpi_vs_parameter(summary: pd.DataFrame, kpi: str, parameter: str, colour: str | None = None) -> go.Figure:
    """A plotly figure of a sweep summary's KPI mean (`aztec_econ.sweep.analysis.load_summary`; its 95% confidence
    interval as error bars) against a swept parameter, one series per value of `colour` (another swept parameter)
    if given."""
    fig = go.Figure()
    groups = summary.groupby(colour, sort=True) if colour else [(None, summary)]
    for value, group in groups:
        group = group.sort_values(parameter)
        mean = group[f"{kpi}_mean"]
        has_ci = group[f"{kpi}_ci_high"].notna().any()
        fig.add_trace(
            go.Scatter(
                x=group[parameter],
                y=mean,
                mode="markers+lines" if colour else "markers",
                name=f"{colour} = {value[0] if isinstance(value, tuple) else value}" if colour else kpi,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": group[f"{kpi}_ci_high"] - mean,
                    "arrayminus": mean - group[f"{kpi}_ci_low"],
                }
                if has_ci
                else None,
            )
        )
    fig.update_layout(
        template=f"plotly_white+{TEMPLATE}",
        title=f"{kpi} vs {parameter}",
        xaxis_title=parameter,
        yaxis_title=kpi,
    )
    return fig
