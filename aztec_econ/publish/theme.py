"""The project's plotly theme and what every figure is built on: colours and line styles, the offline renderer for
reports, plotly.js for the report folders, the chart-rule check, and the shared builders (`themed_figure`, theory
lines, p10-p90 bands, tidy log axes, grouped bars). The figures themselves are in `aztec_econ.publish.plots` (one
simulation; it re-exports everything here) and `aztec_econ.publish.sweep_plots` (parameter sweeps).

Every figure is built through `themed_figure`, which applies the registered template `TEMPLATE` (importing this module
also makes it plotly's default, so ad-hoc figures in notebooks share it). Simulation is drawn in solid lines/bars,
theory (`aztec_econ.analysis.theory`, evaluated by `aztec_econ.analysis.expectations`) in dashed black lines.

`use_report_renderer()` must run in a notebook before any figure is shown: with plotly 7 and nbconvert 7, the default
renderer emits only the `application/vnd.plotly.v1+json` mimetype, which nbconvert cannot render, so figures silently
vanish from the HTML. plotly's own `notebook` renderer is not offline either: it makes every figure load MathJax from
a CDN. The `OfflineHtmlRenderer` registered here draws each figure as an HTML div without MathJax that calls the
global `Plotly`; combined with the plotly mimetype, figures stay interactive in JupyterLab (its plotly extension
renders the mimetype) and extractable as JSON (`aztec-econ figures`). plotly.js itself is not stored in the
notebook: the HTML report loads it once per reports folder (`plotlyjs_tag`; `PLOTLYJS_FILE` beside the pages, read
from the file system, no network) or embeds it (`self_contained`).

Chart rules every figure here follows (and `check_figure` enforces when a figure is drawn): every trace is named;
categories (a fee mechanism, a strategy) are grouped points or bars, never joined by lines; intervals stay in the
quantity's range (`aztec_econ.analysis.intervals`: Wilson intervals for shares of slots, t intervals clipped at the
bounds otherwise, the method named in the hover text); theory is drawn on the same axes as the simulation, dashed
black; time series carry a p10-p90 band over runs; log axes get one labelled tick per decade (or 1-2-5 ticks on a
short range).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import NDArray
from plotly.io.base_renderers import MimetypeRenderer
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from aztec_econ.files import atomic_write

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


PLOTLYJS_FILE = f"plotly-{get_plotlyjs_version()}.min.js"
"""File name of plotly.js beside the reports that load it (versioned: older reports keep theirs)."""


def plotlyjs_tag(out_dir: str | Path | None = None, *, self_contained: bool = False) -> str:
    """The `<script>` that gives a page its plotly.js: a reference to `out_dir/PLOTLYJS_FILE` (written there if
    missing, atomically), or the library inline when `self_contained` or no `out_dir` is given."""
    if self_contained or out_dir is None:
        return f'<script type="text/javascript">{get_plotlyjs()}</script>'
    path = Path(out_dir) / PLOTLYJS_FILE
    library = get_plotlyjs()
    if not path.is_file() or path.stat().st_size != len(library.encode("utf-8")):
        atomic_write(path, library)
    return f'<script type="text/javascript" src="{PLOTLYJS_FILE}"></script>'


class UnnamedTrace(ValueError):
    """A figure has a trace without a name (its legend and hover would say "trace 0")."""


def check_figure(fig: go.Figure | Mapping[str, Any]) -> None:
    """Raise `UnnamedTrace` if any trace of `fig` has no name (the chart rules of this module)."""
    data = fig.to_dict()["data"] if isinstance(fig, go.Figure) else list(fig.get("data", []))
    layout = fig.to_dict()["layout"] if isinstance(fig, go.Figure) else fig.get("layout", {})
    title = layout.get("title", {})
    text = title.get("text", "") if isinstance(title, Mapping) else str(title)
    for i, trace in enumerate(data):
        if not str(trace.get("name") or "").strip():
            raise UnnamedTrace(
                f"figure {text!r}: trace {i} ({trace.get('type', 'scatter')}) has no name; give every trace a name"
            )


class OfflineHtmlRenderer(MimetypeRenderer):
    """Figures as `text/html` divs that need no network and reference the global `Plotly` (no MathJax, no CDN),
    after `check_figure`. The page provides plotly.js (`plotlyjs_tag`)."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        check_figure(fig_dict)
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
    """Set the renderer that embeds figures in notebooks exported to HTML (and the plotly mimetype for JupyterLab
    and `aztec-econ figures`). Setting it again is a no-op."""
    pio.templates.default = f"plotly_white+{TEMPLATE}"
    if pio.renderers.default != REPORT_RENDERER:
        pio.renderers.default = REPORT_RENDERER


def themed_figure(title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=pio.templates.default, title=title, xaxis_title=x_title, yaxis_title=y_title, **layout
    )
    return fig


def theory_hline(fig: go.Figure, y: float, label: str, x: Sequence[float]) -> None:
    """A dashed theory line at `y` across `x` (a trace, so it is listed in the legend and in exported JSON)."""
    fig.add_trace(
        go.Scatter(x=[x[0], x[-1]], y=[y, y], mode="lines", line=THEORY_LINE, name=label, hoverinfo="skip")
    )


def log_ticks(values: Sequence[float] | NDArray[np.float64]) -> list[float]:
    """Tick values of a tidy log axis over the positive `values`: one per decade when they span two decades or
    more, else 1-2-5 steps (at most about eight ticks)."""
    v = np.asarray([x for x in np.asarray(values, dtype=np.float64).ravel() if np.isfinite(x) and x > 0])
    if v.size == 0:
        return []
    low, high = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    high = max(high, low + 1)
    if high - low >= 2:
        step = max(1, math.ceil((high - low + 1) / 8))
        return [10.0**k for k in range(low, high + 1, step)]
    ticks = [m * 10.0**k for k in range(low, high + 1) for m in (1, 2, 5)]
    return [t for t in ticks if v.min() / 2.5 <= t <= v.max() * 2.5]


def _tick_text(value: float, percent: bool) -> str:
    from aztec_econ.publish.headline import readable

    return readable(value, "share") if percent else readable(value)


def tidy_log_axis(
    fig: go.Figure, axis: str, values: Sequence[float] | NDArray[np.float64], percent: bool = False
) -> None:
    """Make `axis` ("x" or "y") of `fig` a log axis with `log_ticks(values)`, labelled in plain numbers (as
    percentages when `percent`), and no minor labels."""
    ticks = log_ticks(values)
    update: dict[str, Any] = {"type": "log", "minor": {"showgrid": False, "ticks": ""}}
    if ticks:
        update |= {
            "tickmode": "array",
            "tickvals": ticks,
            "ticktext": [_tick_text(t, percent) for t in ticks],
        }
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**update)


def quantile_band(
    fig: go.Figure, x: NDArray[Any], low: NDArray[Any], high: NDArray[Any], colour: str, label: str
) -> None:
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.concatenate([high, low[::-1]]),
            fill="toself",
            fillcolor=colour,
            opacity=0.15,
            line={"width": 0},
            name=label,
            hoverinfo="skip",
        )
    )


@dataclass(frozen=True)
class BarSeries:
    """One named bar trace of a grouped bar chart, with optional error bars and hover text."""

    x: list[str]
    y: Any
    name: str
    error: dict[str, Any] | None = None
    hover: str | None = None


def grouped_bar_figure(
    title: str,
    x_title: str,
    y_title: str,
    hovermode: str,
    series: Sequence[BarSeries],
    palette: Sequence[str] = COLOURWAY,
) -> go.Figure:
    """A figure of bars side by side (`barmode="group"`), one trace per `series`, coloured in order from `palette`
    (what `category_bars` and `grouped_bars` share)."""
    fig = themed_figure(title, x_title, y_title, barmode="group", hovermode=hovermode)
    for i, bar in enumerate(series):
        fig.add_trace(
            go.Bar(
                x=bar.x,
                y=bar.y,
                name=bar.name,
                marker_color=palette[i % len(palette)],
                error_y=bar.error,
                hovertemplate=bar.hover,
            )
        )
    return fig


THEORY_DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot")
"""Dash styles that tell several theory curves of one figure apart (all black, like `THEORY_LINE`)."""
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "pentagon")
"""Marker symbols that tell simulated series apart where they overlap (e.g. two mechanisms with equal fees)."""
LINE_DASHES = ("solid", "dot", "dash", "longdash", "dashdot", "longdashdot")
