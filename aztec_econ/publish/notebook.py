"""The shared set-up of every notebook: resolve the parameters cell into `Params`, set the plot renderer, and show
tables and computed prose. A notebook imports this instead of hacking paths.

```python
from aztec_econ.publish.notebook import setup, assumptions_table, md
params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
```
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aztec_econ.params import BASELINE, Params, assumptions, describe_fields, load_params
from aztec_econ.publish.glue import PARAMS_GLUE, glue
from aztec_econ.publish.plots import use_report_renderer

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

# tqdm (imported by cadCAD) warns in kernels without ipywidgets; reports need no progress bars
warnings.filterwarnings("ignore", message="IProgress not found")


def setup(
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
) -> Params:
    """Parameters for a notebook run: the file (default: baseline), dotted overrides, then `slots`/`runs`/`seed`
    where not None. Sets the report renderer and glues the resolved parameters as `_params`."""
    merged: dict[str, Any] = dict(overrides or {})
    for name, value in (("sim.slots", slots), ("sim.runs", runs), ("sim.seed", seed)):
        if value is not None:
            merged[name] = value
    params = load_params(params_file or BASELINE, merged)
    use_report_renderer()
    pd.set_option("display.max_colwidth", None)
    glue(PARAMS_GLUE, params.flat())
    return params


def run_simulation(params: Params) -> Trajectories:
    """Simulate `params`, say in one Markdown line what was simulated and how long it took, return the result."""
    import time

    from aztec_econ.simulation import simulate

    start = time.perf_counter()
    traj = simulate(params)
    days = params.sim.slots / params.protocol.slots_per_day
    md(
        f"Simulated **{params.sim.runs} runs x {params.sim.slots:,} slots** ({days:,.0f} days), "
        f"{params.agents.sequencers.initial:,} initial keys, seed {params.sim.seed}, "
        f"in {time.perf_counter() - start:.1f} s."
    )
    return traj


def assumptions_table(params: Params) -> pd.DataFrame:
    """The parameters whose values are assumptions (not fixed by the spec): value, unit, source and description."""
    fields = {name: (source, doc) for name, _, source, doc in describe_fields()}
    rows = [
        (
            name,
            f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value),
            unit,
        )
        + fields[name]
        for name, value, unit, _ in assumptions(params)
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "source", "description"]).set_index(
        "parameter"
    )


def md(text: str) -> None:
    """Display `text` as Markdown (for interpretations whose numbers are computed, e.g. with f-strings)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def pct(x: float, digits: int = 1) -> str:
    """`x` (a share) as a percentage string: 0.1234 -> '12.3%'."""
    return f"{100 * x:.{digits}f}%"
