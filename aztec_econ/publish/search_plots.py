"""Figures for choosing parameters: sensitivity indices with their confidence intervals, and a Pareto front of an
optimisation study. Built on the project theme (`aztec_econ.publish.plots`: template, colours, error-bar style).

```python
from aztec_econ.publish import search_plots
search_plots.indices(result.tables["share_backup"], "share_backup")          # Sobol' ST/S1 or Morris mu*
search_plots.pareto_front(optimize_result.trials, "issuance_per_year", "share_happy", ["minimize", "maximize"])
```
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from aztec_econ.publish.plots import COLOURWAY


def _figure(title: str, x_title: str, y_title: str, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=pio.templates.default, title=title, xaxis_title=x_title, yaxis_title=y_title, **layout
    )
    return fig


def indices(table: pd.DataFrame, kpi: str) -> go.Figure:
    """Bars per parameter of a table of `aztec_econ.analysis.sensitivity.sobol_indices` (total index ST and first
    order S1, each with its 95% bootstrap half-width) or `morris_indices` (mu* with its half-width, and sigma), in
    the table's rank order."""
    names = [str(n) for n in table.index]
    if "ST" in table:
        fig = _figure(f"Sobol' indices of {kpi}", "", "share of the variance of " + kpi, barmode="group")
        series = [("ST", "total (ST)"), ("S1", "first order (S1)")]
    else:
        fig = _figure(f"Morris screening of {kpi}", "", f"effect on {kpi} per grid step", barmode="group")
        series = [("mu_star", "mu* (mean |effect|)"), ("sigma", "sigma (spread of effects)")]
    for i, (column, label) in enumerate(series):
        half = f"{column}_conf"
        error = {"type": "data", "array": table[half].to_numpy()} if half in table else None
        fig.add_trace(
            go.Bar(x=names, y=table[column].to_numpy(), name=label, error_y=error, marker_color=COLOURWAY[i])
        )
    return fig


def pareto_front(trials: pd.DataFrame, x: str, y: str, directions: Sequence[str]) -> go.Figure:
    """The trials of a study (`aztec_econ.sweep.optimize`'s trials table) in the plane of two KPIs `x` and `y`
    (their means, with 95% confidence intervals as error bars): the Pareto front joined in a line, the other
    feasible trials and the infeasible ones as markers. `directions` ("maximize"/"minimize") name the better side
    of each axis in its title."""
    arrows = {"maximize": "higher is better", "minimize": "lower is better"}
    fig = _figure(
        "Trials and their Pareto front",
        f"{x} ({arrows[directions[0]]})",
        f"{y} ({arrows[directions[1]]})",
        hovermode="closest",
    )
    complete = trials[trials["state"] == "COMPLETE"]
    groups = [
        (
            "Pareto front",
            complete[complete["pareto"]].sort_values(f"{x}_mean"),
            "lines+markers",
            COLOURWAY[0],
        ),
        ("feasible", complete[complete["feasible"] & ~complete["pareto"]], "markers", COLOURWAY[5]),
        ("infeasible", complete[~complete["feasible"]], "markers", COLOURWAY[3]),
    ]
    for label, part, mode, colour in groups:
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part[f"{x}_mean"],
                y=part[f"{y}_mean"],
                mode=mode,
                name=f"{label} ({len(part)})",
                marker={"color": colour, "size": 9 if label == "Pareto front" else 7},
                line={"color": colour},
                text=[f"trial {t}" for t in part["trial"]],
                error_x=_interval(part, x),
                error_y=_interval(part, y),
            )
        )
    return fig


def _interval(part: pd.DataFrame, kpi: str) -> dict[str, object] | None:
    if f"{kpi}_ci_high" not in part or part[f"{kpi}_ci_high"].isna().all():
        return None
    mean = part[f"{kpi}_mean"]
    return {
        "type": "data",
        "symmetric": False,
        "array": (part[f"{kpi}_ci_high"] - mean).to_numpy(),
        "arrayminus": (mean - part[f"{kpi}_ci_low"]).to_numpy(),
        "thickness": 1,
    }
