"""Record values inside a notebook and read them back from the executed notebook (a small scrapbook).

In a notebook, `glue("share_happy", 0.93)` emits a display output whose only data is the custom mimetype
`GLUE_MIMETYPE` carrying `{"name": ..., "value": ...}` (the value as JSON). Front-ends and nbconvert's HTML exporter
have no renderer for that mimetype, so the output is invisible in the notebook and in the report, but it is saved in
the executed `.ipynb`; `read_glued(path)` collects every glued value (the last one wins for a repeated name).

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

GLUE_MIMETYPE = "application/vnd.aztec-econ.kpi+json"
"""Mimetype of a glued value: `{"name": str, "value": JSON}`."""
PARAMS_GLUE = "_params"
"""Name under which `aztec_econ.publish.notebook.setup` glues the resolved parameters (flat dotted names)."""


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


def glue(name: str, value: Any) -> None:
    """Record `value` under `name` in the running notebook's outputs (invisible when rendered)."""
    from IPython.display import display

    if not name:
        raise ValueError("a glued value needs a non-empty name")
    payload = {"name": name, "value": to_jsonable(value)}
    json.dumps(payload, allow_nan=False)  # fail here, not when the notebook is saved
    display({GLUE_MIMETYPE: payload}, raw=True)


def read_glued(notebook: str | Path | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """Every glued value of an executed notebook: a path to an `.ipynb`, its bytes, or a notebook node/dict."""
    if isinstance(notebook, str | Path):
        node: Mapping[str, Any] = nbformat.read(str(notebook), as_version=4)
    elif isinstance(notebook, bytes):
        node = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    else:
        node = notebook
    glued: dict[str, Any] = {}
    for cell in node.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            payload = output.get("data", {}).get(GLUE_MIMETYPE)
            if isinstance(payload, str):  # some writers store JSON mimetypes as text
                payload = json.loads(payload)
            if isinstance(payload, Mapping) and "name" in payload:
                glued[str(payload["name"])] = payload.get("value")
    return glued
