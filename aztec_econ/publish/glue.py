"""Record values inside a notebook and read them back from the executed notebook (a small scrapbook).

In a notebook, `glue("share_happy", 0.93)` emits a display output carrying the custom mimetype `GLUE_MIMETYPE` with
`{"name": ..., "value": ...}` (the value as JSON; optionally its `unit`, `description`, or the declared `kpi` it is
an instance of and a `qualifier`, see `aztec_econ.publish.headline`) and a one-line `text/plain` fallback
(`share_happy = 93%`), so every front-end and nbconvert exporter can represent it. It is saved in the executed
`.ipynb`; `read_glued(path)` collects every glued value (the last one wins for a repeated name) and `read_glue_meta`
what was said about them. HTML reports leave the outputs out and show the values in their headline table.

Names starting with `_` are reserved for bookkeeping (`aztec_econ.publish.notebook` glues the resolved parameters as
`_params`); reports show the other scalar values as headline KPIs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd

from aztec_econ.analysis.kpis import KPIS

GLUE_MIMETYPE = "application/vnd.aztec-econ.kpi+json"
"""Mimetype of a glued value: `{"name": str, "value": JSON}`."""
GLUE_META = ("unit", "description", "kpi", "qualifier")
"""What a glued value may carry besides its name and value."""
KPI_NAMES = frozenset(k.name for k in KPIS)
PARAMS_GLUE = "_params"
"""Name under which `aztec_econ.publish.notebook.setup` glues the resolved parameters (flat dotted names)."""
ASSUMPTIONS_GLUE = "_assumptions"
"""Every assumption of the run (rows of `notebook.assumptions_table`), glued by `setup` for the report's appendix."""
SUMMARY_GLUE = "_kpi_summary"
"""The run's KPI table over runs (rows of `analysis.kpis.summary`), glued by `notebook.kpi_summary`."""
ROLE_KEY = "aztec_econ_role"
"""Output metadata key marking an output's role in the report (`"answer"`: shown at the top, not in place)."""
ANSWER_GLUE = "_answer"
"""The notebook's answer to its question (Markdown), glued by `notebook.answer`; reports show it at the top."""


def to_jsonable(value: Any) -> Any:
    """`value` as plain JSON types: numpy scalars and arrays, pandas Series/DataFrames, tuples and sets converted;
    NaN and infinities become None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return to_jsonable(value.to_dict(orient="list"))
    if isinstance(value, pd.Series | np.ndarray | list | tuple | set):
        return [to_jsonable(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot glue a value of type {type(value).__name__}: {value!r}")


def glue(
    name: str,
    value: Any,
    *,
    unit: str | None = None,
    description: str | None = None,
    kpi: str | None = None,
    qualifier: str | None = None,
) -> None:
    """Record `value` under `name` in the running notebook's outputs, with what readers need to know about it:
    `unit` and `description`, or `kpi` (a declared KPI of `aztec_econ.analysis.kpis.KPIS` it is an instance of) and
    a `qualifier` ("at the largest c"). Values named like a declared KPI need neither."""
    from IPython.display import display

    from aztec_econ.publish.headline import describe, readable

    if not name:
        raise ValueError("a glued value needs a non-empty name")
    if kpi is not None and kpi not in KPI_NAMES:
        raise ValueError(
            f"glue({name!r}, kpi={kpi!r}): no declared KPI of that name (aztec_econ.analysis.kpis)"
        )
    payload: dict[str, Any] = {"name": name, "value": to_jsonable(value)}
    extra = {"unit": unit, "description": description, "kpi": kpi, "qualifier": qualifier}
    payload.update({k: v for k, v in extra.items() if v is not None})
    json.dumps(payload, allow_nan=False)  # fail here, not when the notebook is saved
    shown_unit, _ = describe(name, payload)
    text = (
        f"{name} = {readable(payload['value'], shown_unit)}"
        if not name.startswith("_")
        else f"{name} (glued)"
    )
    display({GLUE_MIMETYPE: payload, "text/plain": text}, raw=True)


def _payloads(notebook: str | Path | bytes | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if isinstance(notebook, str | Path):
        node: Mapping[str, Any] = nbformat.read(str(notebook), as_version=4)
    elif isinstance(notebook, bytes):
        node = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    else:
        node = notebook
    found = []
    for cell in node.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            payload = output.get("data", {}).get(GLUE_MIMETYPE)
            if isinstance(payload, str):  # some writers store JSON mimetypes as text
                payload = json.loads(payload)
            if isinstance(payload, Mapping) and "name" in payload:
                found.append(payload)
    return found


def read_glued(notebook: str | Path | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """Every glued value of an executed notebook: a path to an `.ipynb`, its bytes, or a notebook node/dict."""
    return {str(p["name"]): p.get("value") for p in _payloads(notebook)}


def read_glue_meta(notebook: str | Path | bytes | Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What `glue` recorded about each value besides it (`unit`, `description`, `kpi`, `qualifier`), by name."""
    return {str(p["name"]): {k: v for k, v in p.items() if k in GLUE_META} for p in _payloads(notebook)}
