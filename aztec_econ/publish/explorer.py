"""An explorer for analysts: ipywidgets controls for the protocol's main levers that rerun a small simulation and
redraw its charts (`notebooks/20_explorer.py`, in JupyterLab).

```python
from aztec_econ.publish.explorer import Explorer
explorer = Explorer(params)        # small parameters: each move reruns params.sim.runs x params.sim.slots
explorer.widget                    # the controls, a status line, the KPI table and the charts
explorer.set("environment.l1.gas_price", 100.0)   # what moving a control does, from code
```

Every lever is a declared parameter (`LEVERS`: dotted name, the values a control offers, a label); a move replaces
that parameter, validates the result like a file (`Params.with_overrides`), simulates it with the same seed (common
random numbers: the difference from the last run is the lever's) and redraws. The KPI table marks each value with
`data-explorer-kpi` so a browser test can read it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aztec_econ.params import Params
from aztec_econ.publish.headline import describe, readable
from aztec_econ.publish.index import esc

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from aztec_econ.simulation import Trajectories


@dataclass(frozen=True)
class Lever:
    """A control: the parameter it sets, the values it offers (in order), and its label."""

    name: str
    values: Sequence[Any]
    label: str


LEVERS: tuple[Lever, ...] = (
    Lever(
        "environment.l1.gas_price", (5.0, 10.0, 20.0, 40.0, 60.0, 100.0, 150.0, 200.0), "L1 gas price [gwei]"
    ),
    Lever("protocol.prover_bond", (100.0, 300.0, 1000.0, 3000.0, 5000.0), "prover bond [tokens]"),
    Lever(
        "agents.provers.failure_probability", (0.0, 0.01, 0.02, 0.05, 0.1, 0.2), "prover failure probability"
    ),
    Lever("agents.provers.count", (1, 2, 3, 5, 10, 20), "third-party provers"),
    Lever(
        "agents.sequencers.offline_probability", (0.0, 0.05, 0.1, 0.2, 0.3), "sequencer offline probability"
    ),
    Lever(
        "attacks.censorship.builder_share",
        (0.0, 0.2, 0.4, 0.6, 0.8),
        "censoring builders' share of L1 blocks",
    ),
    Lever(
        "protocol.fee_mechanism", ("first_price", "base_fee_burn", "full_burn", "mev_burn"), "fee mechanism"
    ),
)
"""The protocol's main levers, as controls."""

KPIS_SHOWN = (
    "share_happy",
    "share_backup",
    "share_skipped",
    "finalized_per_day",
    "share_third_party_commitments",
    "mean_prover_price",
    "fees_burned",
    "apr_sequencers",
    "l1_cost_per_block",
)
"""KPIs the explorer's table shows (declared in `aztec_econ.analysis.kpis.KPIS`)."""


class Explorer:
    """Controls for `LEVERS` bound to a small simulation of `params`; see the module docstring."""

    def __init__(self, params: Params, levers: Sequence[Lever] = LEVERS) -> None:
        flat = params.flat()
        for lever in levers:
            if lever.name not in flat:
                raise ValueError(f"explorer: lever {lever.name!r} is not a parameter")
        self.base = params
        self.levers = tuple(levers)
        self.values: dict[str, Any] = {lever.name: flat[lever.name] for lever in self.levers}
        self.params = params
        self.summary = pd.DataFrame()
        self.traj: Trajectories | None = None
        self.seconds = 0.0
        self._widget: Any = None
        self.run()

    def set(self, name: str, value: Any) -> pd.DataFrame:
        """Move lever `name` to `value`, rerun, redraw (if the widget is shown); returns the new KPI summary."""
        if name not in self.values:
            raise KeyError(f"explorer: no lever {name!r}")
        self.values[name] = value
        return self.run()

    def run(self) -> pd.DataFrame:
        """Simulate the current lever values and keep the result (`summary`: every KPI over runs)."""
        from aztec_econ.analysis.kpis import summary
        from aztec_econ.simulation import simulate

        self.params = self.base.with_overrides(self.values)
        start = time.perf_counter()
        self.traj = simulate(self.params)
        self.seconds = time.perf_counter() - start
        self.summary = summary(self.traj)
        if self._widget is not None:
            self._redraw()
        return self.summary

    # -----------------------------------------------------------------------------------------------------------------
    # what is shown

    def kpi_html(self) -> str:
        """The KPI table of the current run: readable mean, 95% interval (kept in each KPI's range), unit,
        description."""
        from aztec_econ.analysis.intervals import kpi_interval

        rows = []
        n = self.params.sim.runs * self.params.sim.slots
        for name in KPIS_SHOWN:
            if name not in self.summary.index:
                continue
            unit, description = describe(name)
            row = self.summary.loc[name]
            kept = kpi_interval(name, [float(row["mean"])], [float(row["ci_high"] - row["mean"])], n)
            interval = (
                f"{readable(float(kept.low[0]), unit)} to {readable(float(kept.high[0]), unit)}"
                if pd.notna(row["ci_low"])
                else "n/a"
            )
            rows.append(
                f"<tr><td><code>{esc(name)}</code></td>"
                f'<td data-explorer-kpi="{esc(name)}" style="text-align:right">{esc(readable(float(row["mean"]), unit))}</td>'
                f"<td>{esc(interval)}</td><td>{esc(description)}</td></tr>"
            )
        return (
            '<table class="aztec-explorer-kpis"><thead><tr><th>KPI</th><th>mean</th><th>95% CI</th>'
            f"<th>what it measures</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def status(self) -> str:
        """One line: what was simulated with which lever values, and how long it took."""
        p = self.params
        levers = ", ".join(f"{lever.label} {readable(self.values[lever.name])}" for lever in self.levers)
        return (
            f"{p.sim.runs} runs x {p.sim.slots:,} slots, seed {p.sim.seed}, in {self.seconds:.1f} s: {levers}"
        )

    def figure(self) -> go.Figure:
        """Slots by outcome in the current run (mean over runs, Wilson 95% intervals), with the closed form."""
        import plotly.graph_objects as go

        from aztec_econ.analysis.expectations import MODE_NAMES, expected_mode_shares
        from aztec_econ.analysis.intervals import kpi_interval
        from aztec_econ.publish.theme import MODE_COLOURS, themed_figure, tidy_log_axis

        fig = themed_figure("Slots by outcome", "outcome", "share of slots (log)", hovermode="closest")
        n = self.params.sim.runs * self.params.sim.slots
        names = [f"share_{m}" for m in MODE_NAMES]
        mean = np.asarray([float(self.summary.loc[k, "mean"]) for k in names])
        half = np.asarray(
            [float(self.summary.loc[k, "ci_high"] - self.summary.loc[k, "mean"]) for k in names]
        )
        intervals = [kpi_interval(k, mean[i : i + 1], half[i : i + 1], n) for i, k in enumerate(names)]
        low = np.asarray([iv.low[0] for iv in intervals])
        high = np.asarray([iv.high[0] for iv in intervals])
        shown = np.maximum(
            mean, 1.0 / (10 * n)
        )  # a share of 0 has no place on a log axis: drawn at the floor
        fig.add_trace(
            go.Bar(
                x=list(MODE_NAMES),
                y=shown,
                marker_color=[MODE_COLOURS[m] for m in MODE_NAMES],
                error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low},
                name=f"simulated ({intervals[0].method})",
                hovertemplate="%{x}: %{y:.4%}<extra></extra>",
            )
        )
        theory = expected_mode_shares(self.params)
        fig.add_trace(
            go.Scatter(
                x=list(MODE_NAMES),
                y=[theory[m] for m in MODE_NAMES],
                mode="markers",
                marker={"color": "black", "symbol": "line-ew-open", "size": 40, "line": {"width": 2}},
                name="closed form",
            )
        )
        tidy_log_axis(fig, "y", [*shown, *high, *theory.values()], percent=True)
        return fig

    # -----------------------------------------------------------------------------------------------------------------
    # the widget

    @property
    def widget(self) -> Any:
        """The controls (one per lever), a status line, the KPI table and the chart, as one ipywidgets box."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        import ipywidgets as w

        controls = []
        for lever in self.levers:
            options = [(readable(v), v) for v in lever.values]
            if self.values[lever.name] not in lever.values:
                options.append((readable(self.values[lever.name]), self.values[lever.name]))
            if all(isinstance(v, str) for v in lever.values):
                control: Any = w.Dropdown(
                    options=options, value=self.values[lever.name], description=lever.label
                )
            else:
                options.sort(key=lambda o: o[1])
                control = w.SelectionSlider(
                    options=options,
                    value=self.values[lever.name],
                    description=lever.label,
                    continuous_update=False,
                )
            control.style.description_width = "16rem"
            control.layout.width = "38rem"
            control.add_class(f"aztec-lever-{lever.name.replace('.', '-')}")
            control.observe(self._moved(lever.name), names="value")
            controls.append(control)
        self._status = w.HTML()
        self._table = w.HTML()
        self._chart = w.Output()
        box = w.VBox([*controls, self._status, self._table, self._chart])
        box.add_class("aztec-explorer")
        self._widget = box
        self._redraw()
        return box

    def _moved(self, name: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            self._status.value = f"<em>simulating with {esc(name)} = {esc(readable(change['new']))} ...</em>"
            self.set(name, change["new"])

        return handler

    def _redraw(self) -> None:
        from IPython.display import display

        self._status.value = f'<p class="aztec-explorer-status">{esc(self.status())}</p>'
        self._table.value = self.kpi_html()
        self._chart.clear_output(wait=True)
        with self._chart:
            display(self.figure())
