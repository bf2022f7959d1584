"""What a sweep worker computes for one point; runs in a pool process or on a Dask worker.

Tasks take only picklable, self-contained inputs (parameters as canonical JSON) and return a `PointOutcome` holding
everything the client writes: no file is read or written on the worker, so workers need the package installed but
no shared file system. A task never raises for a failure of the point itself: the error and its traceback come back
in the outcome. Other point kinds' tasks (`aztec_econ.sweep.runner.PointKind`; the notebook kind's
`aztec_econ.publish.notebook_sweep.notebook_point`) follow the same rules.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories


@dataclass
class PointOutcome:
    """The result of one point. `per_run`: one row per Monte Carlo run (columns `run` and the KPIs); `aggregated`:
    one row per KPI (kpi, mean, std, ci_low, ci_high, n); `duration_s`: the task's wall time on the worker
    [seconds]; `extra`: point-level values beyond the per-run KPIs (a simulation with an `extra` function: what it
    returned), kept in the point's manifest record; `executed`: whatever else a point kind's task returns for its
    `after_point` hook (a notebook sweep: the executed notebook), else None."""

    ok: bool
    per_run: pd.DataFrame | None = None
    aggregated: pd.DataFrame | None = None
    error: str | None = None
    duration_s: float = 0.0
    worker: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    executed: Any = None


def host_pid() -> str:
    """This process as `host:pid`, the `worker` of the points it computes."""
    return f"{socket.gethostname()}:{os.getpid()}"


def simulate_point(
    params_json: str, extra: Callable[[Trajectories], Mapping[str, Any]] | None = None
) -> PointOutcome:
    """Simulate one point (parameters as `Params.to_json()` text) and compute its KPIs per run and over runs; with
    `extra`, also the point-level values it returns for the point's trajectories (`PointOutcome.extra`)."""
    from aztec_econ.analysis.kpis import kpis_per_run, summarize
    from aztec_econ.params import parse_params
    from aztec_econ.simulation import simulate

    start = time.perf_counter()
    try:
        params = parse_params(json.loads(params_json))
        traj = simulate(params)
        kpis = kpis_per_run(traj)
        aggregated = summarize(kpis).reset_index()
        values = dict(extra(traj)) if extra is not None else {}
    except Exception:
        return PointOutcome(
            ok=False, error=traceback.format_exc(), duration_s=time.perf_counter() - start, worker=host_pid()
        )
    return PointOutcome(
        ok=True,
        per_run=kpis,
        aggregated=aggregated,
        duration_s=time.perf_counter() - start,
        worker=host_pid(),
        extra=values,
    )
