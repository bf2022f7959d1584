"""What a mechanism search (`aztec_econ.sweep.optimize`) writes in its study directory after every batch: the
trials table, the Pareto front, `best.json`, and the few lines `aztec-econ optimize` prints at the end.

**Outputs** (each written atomically after every batch):
- `trials.parquet` / `trials.csv`: every trial: `trial`, `state` (COMPLETE, FAIL, RUNNING), `point_id`, the
  variables, `feasible`, `violation` (summed amounts by which constraints are missed), `pareto`, each constraint's
  value as `constraint: TEXT` (<= 0 satisfied), `error`, then every KPI's `_mean`, `_ci_low`, `_ci_high`;
- `pareto.parquet` / `pareto.csv`: the feasible, non-dominated trials (one objective: the best);
- `best.json`: `status` (`ok`, `infeasible`, `no complete trial`), counts, per objective the best feasible trial
  with its parameters and the KPIs of the objectives and constraints with their confidence intervals, and per
  constraint how many trials satisfy it and the best value reached: a constraint no trial satisfies is named.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aztec_econ.files import atomic_write
from aztec_econ.sweep.store import parquet_bytes
from aztec_econ.sweep.study_file import STAT_SUFFIXES, StudySpec

EVALUATIONS = "evaluations"
"""The study directory's sweep directory: one point per trial."""


@dataclass
class OptimizeResult:
    """What a run of `optimize` left: the trials table, the Pareto front and `best` (as in `best.json`)."""

    out_dir: Path
    trials: pd.DataFrame
    pareto: pd.DataFrame
    best: dict[str, Any]
    evaluated: int = 0
    seconds: float = 0.0


def pareto_mask(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Which rows of `values` (trials x objectives) no other row dominates (at least as good in every objective and
    better in one), objectives maximised or minimised as `directions` say."""
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    x = np.asarray(values, dtype=float) * signs  # all minimised
    keep = np.ones(len(x), dtype=bool)
    for i in range(len(x)):
        dominated = np.all(x <= x[i], axis=1) & np.any(x < x[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def trials_table(spec: StudySpec, study: Any, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per trial (see the module docstring), in trial order."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {
            "trial": t.number,
            "state": t.state.name,
            "point_id": t.user_attrs.get("point_id"),
        }
        row |= {v.name: t.params.get(v.name) for v in spec.variables}
        constraints = t.constraints if t.state.name == "COMPLETE" else {}
        row["feasible"] = t.state.name == "COMPLETE" and all(x <= 0 for x in constraints.values())
        row["violation"] = float(sum(x for x in constraints.values() if x > 0)) if constraints else math.nan
        row["pareto"] = False
        for c in spec.constraints:
            row[f"constraint: {c.text}"] = constraints.get(c.text, math.nan)
        row["error"] = t.user_attrs.get("error")
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    kpis = summary.reset_index()
    kpis = kpis[["point_id", *[c for c in kpis.columns if c.endswith(STAT_SUFFIXES)]]]
    table = table.merge(kpis, on="point_id", how="left")
    feasible = table["feasible"].to_numpy(dtype=bool)
    if feasible.any():
        values = table.loc[feasible, [o.column for o in spec.objectives]].to_numpy(dtype=float)
        mask = pareto_mask(values, [o.direction for o in spec.objectives])
        table.loc[table.index[feasible][mask], "pareto"] = True
    return table


def _kpi_record(row: pd.Series, kpis: Sequence[str]) -> dict[str, dict[str, float | None]]:
    def number(x: Any) -> float | None:
        return float(x) if x is not None and pd.notna(x) else None

    return {
        k: {s.lstrip("_"): number(row.get(f"{k}{s}")) for s in ("_mean", "_ci_low", "_ci_high")} for k in kpis
    }


def best_record(spec: StudySpec, table: pd.DataFrame) -> dict[str, Any]:
    """The content of `best.json` for a trials table."""
    complete = table[table["state"] == "COMPLETE"] if len(table) else table
    feasible = complete[complete["feasible"]] if len(complete) else complete
    kpis = list(dict.fromkeys([o.kpi for o in spec.objectives] + [c.kpi for c in spec.constraints]))
    out: dict[str, Any] = {
        "study": spec.name,
        "trials": len(table),
        "complete": len(complete),
        "failed": int((table["state"] == "FAIL").sum()) if len(table) else 0,
        "feasible": len(feasible),
        "pareto": int(table["pareto"].sum()) if len(table) else 0,
        "objectives": [],
        "constraints": [],
    }
    for c in spec.constraints:
        column = complete[c.column] if len(complete) else pd.Series(dtype=float)
        holds = column.map(lambda x, c=c: c.holds(float(x)))
        best_value = (column.min() if c.upper else column.max()) if column.notna().any() else None
        out["constraints"].append(
            {
                "constraint": c.text,
                "satisfied_by": int(holds.sum()),
                "best_value": None if best_value is None else float(best_value),
            }
        )
    for o in spec.objectives:
        entry: dict[str, Any] = {"objective": o.label, "column": o.column, "best": None}
        if len(feasible):
            ranked = feasible.sort_values(
                [o.column, "trial"], ascending=[o.direction == "minimize", True], kind="stable"
            )
            row = ranked.iloc[0]
            entry["best"] = {
                "trial": int(row["trial"]),
                "value": float(row[o.column]),
                "params": {v.name: _plain(row[v.name]) for v in spec.variables},
                "kpis": _kpi_record(row, kpis),
            }
        out["objectives"].append(entry)
    if not len(complete):
        out["status"] = "no complete trial"
        out["message"] = "no trial completed; see the trials' errors in trials.csv"
    elif not len(feasible):
        never = [c for c in out["constraints"] if c["satisfied_by"] == 0]
        out["status"] = "infeasible"
        if never:
            listed = "; ".join(f"'{c['constraint']}' (best reached: {_show(c['best_value'])})" for c in never)
            out["message"] = f"no trial satisfies every constraint; satisfied by no trial: {listed}"
        else:
            out["message"] = (
                "no trial satisfies every constraint together, though each is satisfied by some trial alone"
            )
        out["infeasible_constraints"] = [c["constraint"] for c in never]
    else:
        out["status"] = "ok"
    return out


def _show(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.4g}"


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x


def write_outputs(spec: StudySpec, study: Any, root: Path) -> OptimizeResult:
    from aztec_econ.sweep.analysis import load_summary

    evaluations = root / EVALUATIONS
    summary = load_summary(evaluations) if (evaluations / "summary.parquet").is_file() else pd.DataFrame()
    if not summary.empty and len(summary.columns):
        summary = summary.set_index("point_id")
    else:
        summary = pd.DataFrame(index=pd.Index([], name="point_id"))
    table = trials_table(spec, study, summary)
    pareto = table[table["pareto"]] if len(table) else table
    best = best_record(spec, table)
    for name, frame in (("trials", table), ("pareto", pareto)):
        atomic_write(root / f"{name}.parquet", parquet_bytes(frame.reset_index(drop=True)))
        atomic_write(root / f"{name}.csv", frame.to_csv(index=False))
    atomic_write(root / "best.json", json.dumps(best, indent=1, default=_plain))
    return OptimizeResult(root, table, pareto, best)


def describe(spec: StudySpec, result: OptimizeResult) -> str:
    """A few lines on a finished run: counts, the status (an infeasible constraint is named), the best trials."""
    best = result.best
    lines = [
        f"study {spec.name}: {best['trials']} trials ({best['complete']} complete, {best['failed']} failed), "
        f"{best['feasible']} feasible, {best['pareto']} on the Pareto front -> {result.out_dir}"
    ]
    if best["status"] != "ok":
        lines.append(f"{best['status']}: {best['message']}")
    for entry in best["objectives"]:
        if entry["best"] is not None:
            b = entry["best"]
            params = ", ".join(
                f"{k}={_show(v) if isinstance(v, float) else v}" for k, v in b["params"].items()
            )
            lines.append(f"best to {entry['objective']}: trial {b['trial']} ({_show(b['value'])}): {params}")
    return "\n".join(lines)
