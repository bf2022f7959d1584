"""The shared set-up of every notebook: resolve the parameters cell into `Params`, set the plot renderer, and show
tables and computed prose. A notebook imports this instead of hacking paths.

```python
from aztec_econ.publish.notebook import setup, assumptions_table, md
params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
```
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aztec_econ.params import BASELINE, PROJECT_ROOT, Params, assumptions, describe_fields, load_params
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
    where not None (`resolve_parameters`). Sets the report renderer and glues the resolved parameters as `_params`."""
    params = resolve_parameters(params_file, overrides, slots=slots, runs=runs, seed=seed)
    use_report_renderer()
    pd.set_option("display.max_colwidth", None)
    glue(PARAMS_GLUE, params.flat())
    return params


def resolve_parameters(
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
) -> Params:
    """The `Params` of a notebook's parameters cell, as `setup` resolves them, checked like a command's before it
    runs (input files, memory: `aztec_econ.simulation.check_inputs`); raises `ParamsError`. `aztec-econ report`
    calls it before starting a kernel. A relative `params_file` is relative to the project root (where notebooks
    run)."""
    from aztec_econ.simulation import check_inputs

    merged: dict[str, Any] = dict(overrides or {})
    for name, value in (("sim.slots", slots), ("sim.runs", runs), ("sim.seed", seed)):
        if value is not None:
            merged[name] = value
    path = Path(params_file) if params_file else BASELINE
    path = path if path.is_absolute() else PROJECT_ROOT / path
    params = load_params(path, merged)
    check_inputs(params, origin=str(path))
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


_CODE_SPAN = re.compile(r"(`+)(?:.|\n)+?\1")
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)")
_LINK_TARGET = re.compile(r"\]\(\s*<?\s*(?!(?:https?|mailto):)([A-Za-z][A-Za-z0-9+.-]*):", re.IGNORECASE)


def escape_markdown_html(text: str) -> str:
    """`text` with everything that could become HTML made literal: tags, comments and entities (`<` before a letter,
    `/`, `!` or `?`; `&` of an entity) are escaped outside code spans, and a link whose target has a scheme other
    than http(s) or mailto (`javascript:`) loses its link. Markdown formatting is kept."""
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_escape_prose(text[last : span.start()]))
        parts.append(span.group(0))  # a code span shows its text literally: no HTML in it
        last = span.end()
    parts.append(_escape_prose(text[last:]))
    return "".join(parts)


def _escape_prose(text: str) -> str:
    text = _MARKUP.sub(lambda m: "&lt;" if m.group(0) == "<" else "&amp;", text)
    return _LINK_TARGET.sub(lambda m: "]\\(" + m.group(1) + ":", text)


def md(text: str, *, html: bool = False) -> None:
    """Display `text` as Markdown (for interpretations whose numbers are computed, e.g. with f-strings).

    Values interpolated into `text` may come from string parameters, so HTML in it is shown as text, not run
    (`escape_markdown_html`: a `<script>` in a parameter stays a `<script>` on the page); `html=True` is for markup
    the notebook itself wrote."""
    from IPython.display import Markdown, display

    display(Markdown(text if html else escape_markdown_html(text)))


def pct(x: float, digits: int = 1) -> str:
    """`x` (a share) as a percentage string: 0.1234 -> '12.3%'."""
    return f"{100 * x:.{digits}f}%"
