"""Plotly figures and the project theme.

Every figure is built through `_figure`, which applies the registered template `TEMPLATE` (importing this module also
makes it plotly's default, so ad-hoc figures in notebooks share it). Simulation is drawn in solid lines/bars, theory
(`aztec_econ.analysis.theory`, evaluated by `aztec_econ.analysis.expectations`) in dashed black lines.

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
import pandas as pd
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


def _band(
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


def mode_shares(series: pd.DataFrame, theory: Mapping[str, float] | None = None) -> go.Figure:
    """Share of slots per mode over time (`analysis.expectations.mode_share_series`): the mean over runs, a p10-p90
    band over runs, and the closed-form long-run shares (dashed), on a tidy log axis."""
    fig = _figure(
        "Slots by outcome over time (trailing windows; gaps: windows without such slots)",
        "day",
        "share of slots (log)",
    )
    days = series["day"].to_numpy()
    shown: list[float] = []
    for mode, colour in MODE_COLOURS.items():
        mean = series[mode].to_numpy(dtype=np.float64)
        shown += list(mean)
        if f"{mode}_p10" in series:
            low, high = series[f"{mode}_p10"].to_numpy(), series[f"{mode}_p90"].to_numpy()
            floor = np.nanmin(np.where(mean > 0, mean, np.inf)) / 10 if np.any(mean > 0) else 1e-6
            _band(
                fig,
                days,
                np.maximum(low, floor),
                np.maximum(high, floor),
                colour,
                f"{mode} p10-p90 over runs",
            )
        on_log = np.where(
            mean > 0, mean, np.nan
        )  # a window without such slots has no place on a log axis: a gap
        fig.add_trace(go.Scatter(x=days, y=on_log, name=f"{mode} (simulated mean)", line={"color": colour}))
        if theory is not None and len(days):
            _theory_hline(fig, theory[mode], f"{mode} (theory)", days)
            shown.append(theory[mode])
    tidy_log_axis(fig, "y", shown, percent=True)
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
        mean = float(values.mean())
        fig.add_vline(x=mean, line={"color": COLOURWAY[0], "width": 1.5})
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="lines", line={"color": COLOURWAY[0]}, name="simulated mean")
        )
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
    """Mean over runs of each column (`analysis.expectations.mean_over_runs`), a p10-p90 band over runs, and a
    dashed theory level per column.

    `columns` maps a column name to its legend label.
    """
    fig = _figure(title, "day", y_title)
    days = series["day"].to_numpy()
    for i, (column, label) in enumerate(columns.items()):
        colour = COLOURWAY[i % len(COLOURWAY)]
        _band(
            fig,
            days,
            series[f"{column}_p10"].to_numpy(),
            series[f"{column}_p90"].to_numpy(),
            colour,
            f"{label} p10-p90 over runs",
        )
        fig.add_trace(go.Scatter(x=days, y=series[column], name=f"{label} (mean)", line={"color": colour}))
        if theory is not None and column in theory and len(days):
            _theory_hline(fig, theory[column], f"{label} (theory)", days)
    return fig


def bars(
    values: Mapping[str, float],
    title: str,
    y_title: str,
    errors: Mapping[str, float] | None = None,
    name: str = "simulated",
    minimum: float | None = None,
    method: str = "95% CI",
    theory: Mapping[str, float] | None = None,
    theory_label: str = "theory",
) -> go.Figure:
    """One bar per category (a key of `values`), with error bars from symmetric half-widths `errors` (clipped at
    `minimum` if given, the `method` named in the legend), and a closed form per category (`theory`) drawn on the
    same axes as a black marker across the bar. `name` names the bars' trace."""
    fig = _figure(title, "", y_title, hovermode="closest")
    names = list(values)
    y = np.asarray([values[n] for n in names], dtype=np.float64)
    error = None
    label = name
    if errors:
        half = np.asarray([errors[n] for n in names], dtype=np.float64)
        low = y - half if minimum is None else np.maximum(y - half, minimum)
        error = {"type": "data", "symmetric": False, "array": half, "arrayminus": y - low}
        clipped = minimum is not None and bool(np.any(y - half < minimum))
        label = f"{name} ({method}{f', clipped at {minimum:g}' if clipped else ''})"
    fig.add_trace(go.Bar(x=names, y=y, error_y=error, marker_color=COLOURWAY[0], name=label))
    if theory:
        shown = [n for n in names if n in theory]
        fig.add_trace(
            go.Scatter(
                x=shown,
                y=[theory[n] for n in shown],
                mode="markers",
                marker={"color": "black", "symbol": "line-ew-open", "size": 40, "line": {"width": 2}},
                name=theory_label,
                hovertemplate=f"{theory_label}: %{{y:,.4~g}}<extra></extra>",
            )
        )
    fig.update_layout(showlegend=bool(errors or theory))
    return fig


def category_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool = False,
) -> go.Figure:
    """Grouped bars: one group per category, one named bar per series (e.g. median, p90 and p99 per stage)."""
    fig = _bar_groups(
        title,
        x_title,
        y_title,
        "x unified",
        [_BarSeries(list(categories), list(values), label) for label, values in series.items()],
    )
    if log_y:
        tidy_log_axis(fig, "y", [v for values in series.values() for v in values])
    return fig


@dataclass(frozen=True)
class _BarSeries:
    """One named bar trace of a grouped bar chart, with optional error bars and hover text."""

    x: list[str]
    y: Any
    name: str
    error: dict[str, Any] | None = None
    hover: str | None = None


def _bar_groups(
    title: str,
    x_title: str,
    y_title: str,
    hovermode: str,
    series: Sequence[_BarSeries],
    palette: Sequence[str] = COLOURWAY,
) -> go.Figure:
    """A figure of bars side by side (`barmode="group"`), one trace per `series`, coloured in order from `palette`
    (what `category_bars` and `grouped_bars` share)."""
    fig = _figure(title, x_title, y_title, barmode="group", hovermode=hovermode)
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
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "pentagon")
"""Marker symbols that tell simulated series apart where they overlap (e.g. two mechanisms with equal fees)."""
LINE_DASHES = ("solid", "dot", "dash", "longdash", "dashdot", "longdashdot")


def is_categorical(values: pd.Series) -> bool:
    """True for values that name categories (strings, booleans, categoricals), which are never joined by lines."""
    return bool(
        isinstance(values.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_object_dtype(values)
        or pd.api.types.is_string_dtype(values)
    )


def _errors(part: pd.DataFrame, column: str) -> tuple[dict[str, Any] | None, str]:
    """Error bars of `column` in a sweep table part (`{column}_ci` half-widths), kept in the KPI's range
    (`aztec_econ.analysis.intervals.kpi_interval`), and the method in words."""
    from aztec_econ.analysis.intervals import kpi_interval

    errors = f"{column}_ci"
    if errors not in part:
        return None, ""
    mean = part[column].to_numpy(dtype=np.float64)
    n = part["slots_simulated"].to_numpy() if "slots_simulated" in part else None
    interval = kpi_interval(column, mean, part[errors].to_numpy(dtype=np.float64), n)
    return {
        "type": "data",
        "symmetric": False,
        "array": interval.high - mean,
        "arrayminus": mean - interval.low,
    }, interval.method


def sweep_lines(
    frame: pd.DataFrame,
    x: str,
    y: str | Mapping[str, str],
    title: str,
    x_title: str,
    y_title: str,
    group: str | None = None,
    labels: Mapping[Any, str] | None = None,
    theory: Mapping[str, tuple[Sequence[Any], Sequence[float]]] | None = None,
    log_y: bool = False,
    log_x: bool = False,
    sort: bool = True,
) -> go.Figure:
    """Simulated KPIs of a parameter sweep (`aztec_econ.sweep.runner.sweep_table`) against a swept parameter `x`, with
    95% intervals kept in each KPI's range (`{column}_ci` and `slots_simulated`, see `analysis.intervals`; the
    method is named in the hover), and closed-form curves drawn on the same axes as black lines with distinct
    dashes.

    `y` is one column, drawn once per value of `group` (legend: `labels[value]`, default the value), or a mapping of
    columns to legend labels (then `group` must be None). `theory` maps a legend label to (x, y) points of a curve.
    Points are joined in order of `x` (`sort`), or in the frame's order. A categorical `x` (a mechanism, a strategy)
    gives grouped points, never lines, and theory as black open markers beside them.
    """
    categorical = x in frame and is_categorical(frame[x])
    fig = _figure(title, x_title, y_title, hovermode="closest")
    if categorical:
        fig.update_layout(scattermode="group", scattergap=0.5)
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
    shown: list[float] = []
    drawn: list[tuple[str, NDArray[Any], NDArray[np.float64]]] = []
    for i, (part, column, label) in enumerate(traces):
        part = part.sort_values(x) if sort and not categorical else part
        error, method = _errors(part, column)
        colour = COLOURWAY[i % len(COLOURWAY)]
        values = part[column].to_numpy(dtype=np.float64)
        shown += list(values)
        xs = part[x].to_numpy()
        same = next(  # a series drawn exactly over an earlier one says so, or the earlier one looks missing
            (
                name
                for name, ox, oy in drawn
                if len(ox) == len(xs) and (ox == xs).all() and np.allclose(oy, values, rtol=1e-12, atol=0.0)
            ),
            None,
        )
        drawn.append((label, xs, values))
        if same is not None:
            label = f"{label}, same as {same}"
        hover = f"{label}: %{{y:,.4~g}}" + (f"<br>{method}" if method else "") + "<extra></extra>"
        fig.add_trace(
            go.Scatter(
                x=part[x].astype(str).to_numpy() if categorical else part[x].to_numpy(),
                y=values,
                mode="markers" if categorical else "lines+markers",
                name=f"{label} (simulated)",
                marker={
                    "color": colour,
                    "symbol": SYMBOLS[i % len(SYMBOLS)],
                    "size": 9 if categorical else 7,
                },
                line={"color": colour, "dash": LINE_DASHES[i % len(LINE_DASHES)]},
                error_y=error,
                offsetgroup=str(i) if categorical else None,
                hovertemplate=hover,
            )
        )
    for i, (label, (tx, ty)) in enumerate((theory or {}).items()):
        shown += [float(v) for v in ty if v is not None and np.isfinite(v)]
        if categorical:
            fig.add_trace(
                go.Scatter(
                    x=[str(v) for v in tx],
                    y=list(ty),
                    mode="markers",
                    marker={"color": "black", "symbol": "line-ew-open", "size": 18, "line": {"width": 2}},
                    name=label,
                    offsetgroup=str(i),
                    hovertemplate=f"{label}: %{{y:,.4~g}}<extra></extra>",
                )
            )
        else:
            line = {**THEORY_LINE, "dash": THEORY_DASHES[i % len(THEORY_DASHES)]}
            fig.add_trace(
                go.Scatter(x=list(tx), y=list(ty), mode="lines", line=line, name=label, hoverinfo="skip")
            )
    if log_y:
        tidy_log_axis(fig, "y", shown)
    if log_x and not categorical:
        tidy_log_axis(fig, "x", frame[x].to_numpy(dtype=np.float64))
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
    and 95% error bars (from `{column}_ci` where present, kept in the KPI's range as `sweep_lines` keeps them).

    `y` is one column, one bar series per value of `group` (legend: `labels[value]`, default the value), or a
    mapping of columns to legend labels (then `group` must be None). `colours` gives the series' colours in order
    (default the theme's).
    """
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
    order = [(x_labels or {}).get(v, str(v)) for v in dict.fromkeys(frame[x].tolist())]
    bars = []
    for part, column, label in traces:
        error, method = _errors(part, column)
        bars.append(
            _BarSeries(
                x=[(x_labels or {}).get(v, str(v)) for v in part[x].tolist()],
                y=part[column].to_numpy(),
                name=f"{label} (simulated)",
                error=error,
                hover=f"{label}: %{{y:,.4~g}}" + (f"<br>{method}" if method else "") + "<extra></extra>",
            )
        )
    fig = _bar_groups(title, x_title, y_title, "closest", bars, list(colours) if colours else COLOURWAY)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return fig


def kpi_vs_parameter(
    summary: pd.DataFrame,
    kpi: str,
    parameter: str,
    colour: str | None = None,
    theory: str | None = None,
    reasons: Mapping[int, str] | None = None,
) -> go.Figure:
    """A sweep summary's KPI mean (`aztec_econ.sweep.analysis.load_summary`) against a swept parameter, its 95%
    confidence interval kept in the KPI's range as error bars, one series per value of `colour` (another swept
    parameter) if given; `theory` (default `theory_<kpi>` when the summary has it) is drawn on the same axes as
    black open markers. `reasons` maps a row position of `summary` to why theory and simulation disagree there
    (shown in the hover)."""
    from aztec_econ.analysis.intervals import kpi_bounds

    theory = theory if theory is not None else f"theory_{kpi}"
    has_theory = f"{theory}_mean" in summary
    fig = _figure(f"{kpi} vs {parameter}", parameter, kpi, hovermode="closest")
    lower, upper = kpi_bounds(kpi)
    frame = summary.reset_index(drop=True)
    groups = frame.groupby(colour, sort=True) if colour else [(None, frame)]
    for i, (value, group) in enumerate(groups):
        group = group.sort_values(parameter)
        mean = group[f"{kpi}_mean"].to_numpy(dtype=np.float64)
        has_ci = group[f"{kpi}_ci_high"].notna().any()
        low = group[f"{kpi}_ci_low"].to_numpy(dtype=np.float64)
        high = group[f"{kpi}_ci_high"].to_numpy(dtype=np.float64)
        if lower is not None:
            low = np.maximum(low, lower)
        if upper is not None:
            high = np.minimum(high, upper)
        label = f"{colour} = {value[0] if isinstance(value, tuple) else value}" if colour else kpi
        why = [(reasons or {}).get(int(r), "") for r in group.index]
        fig.add_trace(
            go.Scatter(
                x=group[parameter],
                y=mean,
                mode="markers+lines" if colour else "markers",
                name=f"{label} (simulated)",
                marker={"color": COLOURWAY[i % len(COLOURWAY)], "symbol": SYMBOLS[i % len(SYMBOLS)]},
                error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low}
                if has_ci
                else None,
                customdata=why,
                hovertemplate="%{x}: %{y:,.4~g}<br>%{customdata}<extra></extra>",
            )
        )
    if has_theory:
        ordered = frame.sort_values(parameter)
        fig.add_trace(
            go.Scatter(
                x=ordered[parameter],
                y=ordered[f"{theory}_mean"],
                mode="markers",
                marker={"color": "black", "symbol": "circle-open", "size": 10},
                name=f"{kpi} (theory)",
                hovertemplate="%{x}: theory %{y:,.4~g}<extra></extra>",
            )
        )
    return fig


def scenario_points(
    table: pd.DataFrame,
    category: str,
    scenarios: Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    percent: bool = False,
    log_y: bool = False,
) -> go.Figure:
    """Scenarios side by side: per category (a column of `table`, e.g. the KPI), one grouped point per scenario with
    its interval (`mean`, `ci_low`, `ci_high` columns of `aztec_econ.analysis.compare.compare_kpis`, already kept
    in range)."""
    fig = _figure(title, x_title, y_title, hovermode="closest", scattermode="group", scattergap=0.5)
    shown: list[float] = []
    for i, name in enumerate(scenarios):
        part = table[table["scenario"] == name]
        mean = part["mean"].to_numpy(dtype=np.float64)
        low = part["ci_low"].to_numpy(dtype=np.float64)
        high = part["ci_high"].to_numpy(dtype=np.float64)
        shown += list(mean)
        error = {"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low}
        fig.add_trace(
            go.Scatter(
                x=part[category].astype(str).to_numpy(),
                y=mean,
                mode="markers",
                name=name,
                marker={
                    "color": COLOURWAY[i % len(COLOURWAY)],
                    "symbol": SYMBOLS[i % len(SYMBOLS)],
                    "size": 10,
                },
                error_y=error if np.isfinite(low).any() else None,
                offsetgroup=str(i),
                hovertemplate=f"{name}: %{{y:,.4~g}} (95% CI over runs)<extra></extra>",
            )
        )
    if log_y:
        tidy_log_axis(fig, "y", shown, percent=percent)
    elif percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def overlay_series(series: Mapping[str, pd.DataFrame], title: str, y_title: str) -> go.Figure:
    """Time series of several scenarios on one axis: per scenario its mean over runs (`value`) and a p10-p90 band
    (`value_p10`, `value_p90`), against `day`."""
    fig = _figure(title, "day", y_title)
    for i, (name, frame) in enumerate(series.items()):
        colour = COLOURWAY[i % len(COLOURWAY)]
        days = frame["day"].to_numpy()
        if "value_p10" in frame:
            _band(
                fig,
                days,
                frame["value_p10"].to_numpy(),
                frame["value_p90"].to_numpy(),
                colour,
                f"{name} p10-p90",
            )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=frame["value"],
                name=f"{name} (mean)",
                line={"color": colour, "dash": LINE_DASHES[i % len(LINE_DASHES)]},
            )
        )
    return fig
