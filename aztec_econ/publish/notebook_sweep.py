"""Notebook sweeps: papermill executes a notebook per sweep point, on the sweep's workers (`aztec-econ sweep
--notebook`).

The notebook kind of point (`notebook_kind`) plugs into `aztec_econ.sweep.runner.run_sweep` through its `PointKind`
extension point:

- task: `notebook_point` executes the notebook (read once here, sent as a node: workers need no access to the file)
  with the point's parameters and returns the executed notebook as bytes with its glued numeric KPIs, which fill the
  same summary table as a simulation sweep's KPIs (one `per_run` row, run -1; one aggregated row per KPI, n = 1);
- after each point: its executed notebook and HTML report go to `OUT/reports/` and into its index
  (`aztec_econ.publish.sweep_report.write_point_report`);
- after the sweep: the sweep summary report (`write_sweep_report`).

The kind is named `notebook:<name>:<hash of the notebook>`: editing the notebook reruns every point.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from aztec_econ.sweep.runner import PointKind, SweepResult, TaskCall, cmd_sweep, run_sweep
from aztec_econ.sweep.spec import SweepPoint, SweepSpec
from aztec_econ.sweep.store import PointRecord
from aztec_econ.sweep.tasks import PointOutcome, host_pid

NOTEBOOK_TIMEOUT_S = 1800.0
"""Longest a notebook cell may run in a notebook sweep [seconds]."""


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
            ok=False, error=traceback.format_exc(), duration_s=time.perf_counter() - start, worker=host_pid()
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
        worker=host_pid(),
        executed=executed,
    )


def notebook_parameters(point: SweepPoint) -> dict[str, Any]:
    """The papermill parameters of a point: its full parameters as overrides, and its horizon, runs and seed."""
    return {
        "params_file": None,
        "overrides": point.params.flat(),
        "slots": point.params.sim.slots,
        "runs": point.params.sim.runs,
        "seed": point.params.sim.seed,
    }


def notebook_kind(notebook: str | Path, timeout: float = NOTEBOOK_TIMEOUT_S) -> PointKind:
    """The `PointKind` that executes `notebook` (`.ipynb` or a jupytext `.py`) per point and writes the reports."""
    import nbformat

    from aztec_econ.publish.reports import load_notebook
    from aztec_econ.publish.sweep_report import write_point_report, write_sweep_report

    node = load_notebook(notebook)  # read here: workers need no access to the file
    digest = hashlib.sha256(nbformat.writes(node).encode()).hexdigest()[:12]

    def task(spec: SweepSpec, point: SweepPoint) -> TaskCall:
        return notebook_point, (node, notebook_parameters(point), f"{spec.name}-{point.id}", timeout)

    def after_point(root: Path, spec: SweepSpec, record: PointRecord, outcome: PointOutcome) -> str | None:
        if outcome.executed is None:
            return None
        try:
            write_point_report(root, spec, record, outcome.executed, notebook)
        except Exception:  # a report that cannot be rendered fails its point, not the sweep
            return "writing the report:\n" + traceback.format_exc()
        return None

    return PointKind(
        name=f"notebook:{Path(notebook).stem}:{digest}",
        task=task,
        after_point=after_point,
        after_sweep=write_sweep_report,
        header={"notebook": str(notebook)},
        probe=False,  # a point runs the whole notebook: projected from the first finished point instead
    )


def run_notebook_sweep(
    spec: SweepSpec | str | Path,
    out_dir: str | Path,
    notebook: str | Path,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    timeout: float = NOTEBOOK_TIMEOUT_S,
    progress: bool = True,
    probe: bool = True,
    stream: TextIO | None = None,
) -> SweepResult:
    """`run_sweep` with `notebook` executed per point (see the module docstring); resumes like any sweep."""
    return run_sweep(
        spec,
        out_dir,
        executor,
        workers,
        scheduler,
        notebook_kind(notebook, timeout),
        progress=progress,
        probe=probe,
        stream=stream,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Command line: `aztec-econ sweep` with its `--notebook` option


def cmd_notebook_sweep(args: argparse.Namespace) -> int:
    """`aztec-econ sweep`: a notebook sweep with `--notebook`, else a simulation sweep (`sweep.runner.cmd_sweep`)."""
    if args.notebook is None:
        return cmd_sweep(args)
    if not args.notebook.is_file():
        print(f"error: no notebook {args.notebook}", file=sys.stderr)
        return 2
    notebook = args.notebook
    return cmd_sweep(args, lambda: notebook_kind(notebook))
