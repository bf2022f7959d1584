"""What a sweep worker computes for one point; runs in a pool process or on a Dask worker.

Tasks take only picklable, self-contained inputs (parameters as canonical JSON, a notebook as a node) and return a
`PointOutcome` holding everything the client writes: no file is read or written on the worker, so workers need the
package installed but no shared file system. A task never raises for a failure of the point itself: the error and
its traceback come back in the outcome.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import traceback
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass
class PointOutcome:
    """The result of one point. `per_run`: one row per Monte Carlo run (columns `run` and the KPIs); `aggregated`:
    one row per KPI (kpi, mean, std, ci_low, ci_high, n); `executed`: the executed notebook of a notebook sweep.
    `duration_s` is the task's wall time on the worker [seconds]."""

    ok: bool
    per_run: pd.DataFrame | None = None
    aggregated: pd.DataFrame | None = None
    error: str | None = None
    duration_s: float = 0.0
    worker: str = ""
    executed: Any = None
    """The `aztec_econ.publish.reports.ExecutedNotebook` of a notebook sweep (the executed notebook as bytes), else None."""


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def simulate_point(params_json: str) -> PointOutcome:
    """Simulate one point (parameters as `Params.to_json()` text) and compute its KPIs per run and over runs."""
    from aztec_econ.analysis.kpis import kpis_per_run, summarize
    from aztec_econ.params import parse_params
    from aztec_econ.simulation import simulate

    start = time.perf_counter()
    try:
        params = parse_params(json.loads(params_json))
        kpis = kpis_per_run(simulate(params))
        aggregated = summarize(kpis).reset_index()
    except Exception:
        return PointOutcome(
            ok=False, error=traceback.format_exc(), duration_s=time.perf_counter() - start, worker=_worker()
        )
    return PointOutcome(
        ok=True,
        per_run=kpis,
        aggregated=aggregated,
        duration_s=time.perf_counter() - start,
        worker=_worker(),
    )


def glued_kpis(glued: dict[str, Any]) -> dict[str, float]:
    """The numeric scalar values a notebook glued (names starting with `_` are bookkeeping and left out)."""
    out = {}
    for name, value in glued.items():
        if name.startswith("_") or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        out[name] = float(value)
    return out


def notebook_point(notebook: Any, parameters: dict[str, Any], name: str, timeout: float) -> PointOutcome:
    """Execute `notebook` (a notebook node) with papermill on this worker and return it as bytes with its glued
    KPIs: one `per_run` row (run -1: the notebook's own aggregate) and one `aggregated` row per numeric KPI."""
    from aztec_econ.publish.reports import execute_notebook

    start = time.perf_counter()
    try:
        executed = execute_notebook(notebook, parameters, name=name, timeout=timeout)
    except Exception:
        return PointOutcome(
            ok=False, error=traceback.format_exc(), duration_s=time.perf_counter() - start, worker=_worker()
        )
    kpis = glued_kpis(executed.kpis)
    per_run = pd.DataFrame([{"run": -1, **kpis}])
    nan = math.nan
    aggregated = pd.DataFrame(
        [{"kpi": k, "mean": v, "std": nan, "ci_low": nan, "ci_high": nan, "n": 1} for k, v in kpis.items()],
        columns=["kpi", "mean", "std", "ci_low", "ci_high", "n"],
    )
    return PointOutcome(
        ok=executed.ok,
        per_run=per_run,
        aggregated=aggregated,
        error=executed.error,
        duration_s=time.perf_counter() - start,
        worker=_worker(),
        executed=executed,
    )
