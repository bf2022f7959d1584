"""Plotly figures of one simulation (mode shares, histograms, p10-p90 bands over runs, bars per category, Lorenz
curves, scenarios overlaid), in the project theme (`aztec_econ.publish.theme`). Simulation is drawn in solid
lines/bars, theory (`aztec_econ.analysis.theory`, evaluated by `aztec_econ.analysis.expectations`) in dashed black
lines.

This module is also where notebooks and reports find every figure and the theme: it re-exports the theme
(`use_report_renderer`, `plotlyjs_tag`, `check_figure`, the colours, ...) and the sweep figures
(`aztec_econ.publish.sweep_plots`: `sweep_lines`, `grouped_bars`, `kpi_vs_parameter`, `scenario_points`).
Importing it registers the theme as plotly's default, as importing the theme does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import NDArray

from aztec_econ.publish.sweep_plots import (
    grouped_bars,
    is_categorical,
    kpi_vs_parameter,
    scenario_points,
    sweep_lines,
)
from aztec_econ.publish.theme import (
    COLOURWAY,
    LINE_DASHES,
    MODE_COLOURS,
    OFFLINE_RENDERER,
    PLOTLYJS_FILE,
    REPORT_RENDERER,
    SYMBOLS,
    TEMPLATE,
    THEORY_DASHES,
    THEORY_LINE,
    BarSeries,
    OfflineHtmlRenderer,
    UnnamedTrace,
    check_figure,
    get_plotlyjs,
    grouped_bar_figure,
    log_ticks,
    plotlyjs_tag,
    quantile_band,
    themed_figure,
    theory_hline,
    tidy_log_axis,
    use_report_renderer,
)

__all__ = [  # the figures of this module, and the theme and sweep figures it re-exports (as before the split)
    "COLOURWAY",
    "LINE_DASHES",
    "MODE_COLOURS",
    "OFFLINE_RENDERER",
    "PLOTLYJS_FILE",
    "REPORT_RENDERER",
    "SYMBOLS",
    "TEMPLATE",
    "THEORY_DASHES",
    "THEORY_LINE",
    "OfflineHtmlRenderer",
    "UnnamedTrace",
    "band_lines",
    "bars",
    "category_bars",
    "check_figure",
    "get_plotlyjs",
    "grouped_bars",
    "histogram",
    "is_categorical",
    "kpi_vs_parameter",
    "log_ticks",
    "lorenz",
    "mode_shares",
    "overlay_series",
    "plotlyjs_tag",
    "scenario_points",
    "sweep_lines",
    "themed_figure",
    "tidy_log_axis",
    "use_report_renderer",
]


def mode_shares(series: pd.DataFrame, theory: Mapping[str, float] | None = None) -> go.Figure:
    """Share of slots per mode over time (`analysis.expectations.mode_share_series`): the mean over runs, a p10-p90
    band over runs, and the closed-form long-run shares (dashed), on a tidy log axis."""
    fig = themed_figure(
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
            quantile_band(
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
            theory_hline(fig, theory[mode], f"{mode} (theory)", days)
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
    fig = themed_figure(title, x_title, "share", bargap=0.05, hovermode="closest")
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
    fig = themed_figure(title, "day", y_title)
    days = series["day"].to_numpy()
    for i, (column, label) in enumerate(columns.items()):
        colour = COLOURWAY[i % len(COLOURWAY)]
        quantile_band(
            fig,
            days,
            series[f"{column}_p10"].to_numpy(),
            series[f"{column}_p90"].to_numpy(),
            colour,
            f"{label} p10-p90 over runs",
        )
        fig.add_trace(go.Scatter(x=days, y=series[column], name=f"{label} (mean)", line={"color": colour}))
        if theory is not None and column in theory and len(days):
            theory_hline(fig, theory[column], f"{label} (theory)", days)
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
    fig = themed_figure(title, "", y_title, hovermode="closest")
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
    fig = grouped_bar_figure(
        title,
        x_title,
        y_title,
        "x unified",
        [BarSeries(list(categories), list(values), label) for label, values in series.items()],
    )
    if log_y:
        tidy_log_axis(fig, "y", [v for values in series.values() for v in values])
    return fig


def lorenz(
    population: NDArray[np.float64],
    share: NDArray[np.float64],
    theory: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    title: str = "Lorenz curve of sequencer rewards",
) -> go.Figure:
    """Lorenz curve (simulated), the line of equality, and a theory curve (e.g. luck alone, `theory.poisson_lorenz`)."""
    fig = themed_figure(title, "share of keys (poorest first)", "share of rewards", hovermode="closest")
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


def overlay_series(series: Mapping[str, pd.DataFrame], title: str, y_title: str) -> go.Figure:
    """Time series of several scenarios on one axis: per scenario its mean over runs (`value`) and a p10-p90 band
    (`value_p10`, `value_p90`), against `day`."""
    fig = themed_figure(title, "day", y_title)
    for i, (name, frame) in enumerate(series.items()):
        colour = COLOURWAY[i % len(COLOURWAY)]
        days = frame["day"].to_numpy()
        if "value_p10" in frame:
            quantile_band(
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
