"""The shared set-up of every notebook: resolve the parameters cell into `Params`, set the plot renderer, and show
tables and computed prose. A notebook imports this instead of hacking paths.

```python
from aztec_econ.publish.notebook import answer, assumptions_table, md, setup
params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
assumptions_table(params, ["agents.provers", "protocol.prover_bond"])   # the topic's own parameters, in full
...
answer(f"... computed from the results ...")                          # shown at the top of the report
```

The report (`aztec_econ.publish.reports.render_html`) opens with the notebook's question (its first Markdown cell),
the `answer`, the topic's assumptions and the headline KPIs; every assumption of the run and the run's KPI table
(`kpi_summary`) go to a collapsed appendix at its end.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aztec_econ.params import (
    BASELINE,
    PROJECT_ROOT,
    Params,
    ParamsError,
    assumptions,
    describe_fields,
    load_params,
    parse_yaml,
    show_value,
    yaml_problem,
)
from aztec_econ.publish.glue import ANSWER_GLUE, ASSUMPTIONS_GLUE, PARAMS_GLUE, ROLE_KEY, SUMMARY_GLUE, glue
from aztec_econ.publish.headline import readable
from aztec_econ.publish.plots import use_report_renderer

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

# tqdm (imported by cadCAD) warns in kernels without ipywidgets; reports need no progress bars
warnings.filterwarnings("ignore", message="IProgress not found")


def as_overrides(overrides: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Dotted overrides from a mapping, or from YAML text (`papermill -p overrides "{agents.provers.count: 5}"`
    passes a string; parsed strictly: a key given twice is an error); None and "" are no overrides. Raises
    `ParamsError`."""
    if overrides is None or (isinstance(overrides, str) and not overrides.strip()):
        return {}
    if isinstance(overrides, str):
        import yaml

        try:
            parsed = parse_yaml(overrides)
        except yaml.YAMLError as err:
            raise ParamsError([f"overrides: {yaml_problem(err)}"]) from None
        if not isinstance(parsed, Mapping):
            raise ParamsError(
                [
                    f"overrides = {show_value(overrides)}: expected a mapping of dotted names to values, "
                    'e.g. "{agents.provers.count: 5}"'
                ]
            )
        return {str(k): v for k, v in parsed.items()}
    return dict(overrides)


def _display_float(value: float) -> str:
    return readable(float(value))


def setup(
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | str | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
) -> Params:
    """Parameters for a notebook run: the file (default: baseline), dotted overrides (a mapping or YAML text), then
    `slots`/`runs`/`seed` where not None (`resolve_parameters`). Sets the report renderer and table display (every
    row, numbers written out, never in scientific notation) and glues the resolved parameters (`_params`) and every
    assumption of the run (`_assumptions`, for the report's appendix)."""
    params = resolve_parameters(params_file, overrides, slots=slots, runs=runs, seed=seed)
    use_report_renderer()
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.min_rows", 500)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.float_format", _display_float)
    glue(PARAMS_GLUE, params.flat())
    glue(ASSUMPTIONS_GLUE, assumptions_table(params).reset_index().to_dict(orient="records"))
    return params


def resolve_parameters(
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | str | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
) -> Params:
    """The `Params` of a notebook's parameters cell, as `setup` resolves them, checked like a command's before it
    runs (input files, memory: `aztec_econ.simulation.check_inputs`); raises `ParamsError`. `aztec-econ report`
    calls it before starting a kernel. A relative `params_file` is relative to the project root (where notebooks
    run); `overrides` may be YAML text (`as_overrides`)."""
    from aztec_econ.simulation import check_inputs

    merged = as_overrides(overrides)
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


def _value_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value) or "(none)"
    return readable(value) if isinstance(value, bool | int | float) else str(value)


def topic_parameters(topic: Sequence[str]) -> list[str]:
    """The dotted parameter names of `topic`: exact names, or prefixes naming a whole group ("agents.provers"), in
    declaration order. A name matching no parameter raises ValueError (so a renamed parameter is noticed)."""
    names = [name for name, *_ in describe_fields()]
    chosen: list[str] = []
    for entry in topic:
        matched = [n for n in names if n == entry or n.startswith(f"{entry}.")]
        if not matched:
            raise ValueError(
                f"assumptions_table: {entry!r} names no parameter (see `aztec-econ params show`)"
            )
        chosen += [n for n in matched if n not in chosen]
    order = {n: i for i, n in enumerate(names)}
    return sorted(chosen, key=order.__getitem__)


def assumptions_table(
    params: Params,
    topic: Sequence[str] | None = None,
    swept: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """The parameters behind a notebook, with value, unit, source and description, indexed by dotted name.

    Without `topic`: every parameter whose value is an assumption (not fixed by the spec). With `topic` (names or
    group prefixes, see `topic_parameters`): those parameters, assumptions or not, the topic's own. `swept` maps
    parameters the notebook varies to the values it sweeps; their value reads "swept: ..." (added if not in
    `topic`)."""
    fields = {name: (unit, source, doc) for name, unit, source, doc in describe_fields()}
    flat = params.flat()
    swept = dict(swept or {})
    if topic is None and not swept:
        names = [name for name, *_ in assumptions(params)]
    else:
        names = topic_parameters([*(topic or ()), *swept])
    rows = []
    for name in names:
        unit, source, doc = fields[name]
        value = _value_text(flat[name])
        if name in swept:
            value = f"swept: {_value_text(list(swept[name]))} (base {value})"
        rows.append((name, value, unit, source, doc))
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


def kpi_summary(traj: Trajectories) -> pd.DataFrame:
    """Every KPI of `traj` over runs (`aztec_econ.analysis.kpis.summary`), glued as `_kpi_summary` for the report's
    appendix (the report shows it there, with units and descriptions, instead of inline)."""
    from aztec_econ.analysis.kpis import summary

    table = summary(traj)
    glue(SUMMARY_GLUE, table.reset_index().to_dict(orient="records"))
    return table


def answer(text: str) -> None:
    """The notebook's answer to its question, computed from its results (Markdown): shown here and, in the report,
    right under the question at the top."""
    if not text.strip():
        raise ValueError("answer: empty text")
    from IPython.display import Markdown, display

    glue(ANSWER_GLUE, text)  # the report escapes it as `md` does
    display(Markdown(f"## Answer\n\n{escape_markdown_html(text)}"), metadata={ROLE_KEY: "answer"})


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
