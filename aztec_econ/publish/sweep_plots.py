"""Figures of parameter sweeps (`aztec_econ.sweep.runner.sweep_table`, a sweep's summary): KPIs against a swept
parameter as lines (numbers) or grouped bars (categories), with confidence intervals kept in the KPI's range and the
closed forms as dashed black curves; scenario points of a sweep. Built on the project theme
(`aztec_econ.publish.theme`); `aztec_econ.publish.plots` re-exports every figure here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import NDArray

from aztec_econ.publish.theme import (
    COLOURWAY,
    LINE_DASHES,
    SYMBOLS,
    THEORY_DASHES,
    THEORY_LINE,
    BarSeries,
    grouped_bar_figure,
    themed_figure,
    tidy_log_axis,
)


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
    fig = themed_figure(title, x_title, y_title, hovermode="closest")
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
            BarSeries(
                x=[(x_labels or {}).get(v, str(v)) for v in part[x].tolist()],
                y=part[column].to_numpy(),
                name=f"{label} (simulated)",
                error=error,
                hover=f"{label}: %{{y:,.4~g}}" + (f"<br>{method}" if method else "") + "<extra></extra>",
            )
        )
    fig = grouped_bar_figure(
        title, x_title, y_title, "closest", bars, list(colours) if colours else COLOURWAY
    )
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
    fig = themed_figure(f"{kpi} vs {parameter}", parameter, kpi, hovermode="closest")
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
    fig = themed_figure(title, x_title, y_title, hovermode="closest", scattermode="group", scattergap=0.5)
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
