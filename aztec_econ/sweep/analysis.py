"""Analysis of sweep outputs: KPI tables by point, KPI thresholds (pass/fail per point), a decision tree showing
which parameters decide success (the parameter-selection workflow of aztec-gddt), global sensitivity indices of a
sweep sampled for them, and scenario discovery (PRIM boxes where a condition holds). The KPI-versus-parameter
figure is drawn by `aztec_econ.publish.plots.kpi_vs_parameter` (figures belong to the publishing layer).

```python
from aztec_econ.sweep import analysis as sa
summary = sa.load_summary("out/sweep")                      # one row per point: swept values, <kpi>_mean/_ci_*
verdict = sa.apply_thresholds(summary, ["share_backup < 0.05", "finalized_per_day >= 130"], conservative=True)
tree, text = sa.decision_tree(verdict, sa.swept_parameters(summary), "success")
plots.kpi_vs_parameter(summary, "share_backup", "protocol.prover_bond")   # from aztec_econ.publish import plots
result = sa.sensitivity("out/sobol", ["share_backup"])      # a sweep with `sample: {method: sobol}` (or morris)
found = sa.scenarios("out/lhs", ["share_skipped > 0.01"])   # PRIM boxes, any sweep with numeric axes
```

The same from the command line: `aztec-econ analyze sensitivity DIR [--kpi K ...] [--json]` and
`aztec-econ analyze scenarios DIR --where "share_skipped > 0.01"` (parser: `aztec_econ.sweep.commands`).
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aztec_econ.analysis.scenarios import DEFAULT_THRESHOLD, Scenarios, prim_boxes
from aztec_econ.analysis.sensitivity import (
    SensitivityError,
    as_json,
    is_constant,
    morris_indices,
    sobol_indices,
)
from aztec_econ.sweep.spec import DESIGN_METHODS
from aztec_econ.sweep.store import DESIGN, MANIFEST, POINTS, SUMMARY

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_THRESHOLD = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")
_STAT_SUFFIXES = ("_mean", "_ci_low", "_ci_high")


def load_summary(out_dir: str | Path) -> pd.DataFrame:
    """`OUT/summary.parquet`: one row per done point (point_id, index, swept values, then per KPI its mean and
    95% confidence interval as `<kpi>_mean`, `<kpi>_ci_low`, `<kpi>_ci_high`)."""
    return pd.read_parquet(Path(out_dir) / f"{SUMMARY}.parquet")


def load_runs(out_dir: str | Path) -> pd.DataFrame:
    """Per-run KPIs of every done point of the sweep's current file (the `OUT/points/` partitions of the points in
    the summary; partitions of points an edited sweep file no longer has are left out), with the swept values."""
    summary = load_summary(out_dir)
    swept = summary[["point_id", *swept_parameters(summary)]]
    parts = [pd.read_parquet(Path(out_dir) / POINTS / f"{pid}.parquet") for pid in summary["point_id"]]
    return swept.merge(pd.concat(parts, ignore_index=True), on="point_id", how="inner")


def swept_parameters(summary: pd.DataFrame) -> list[str]:
    """The swept parameters: the dotted-name columns of a summary table."""
    return [c for c in summary.columns if "." in c]


def kpi_names(summary: pd.DataFrame) -> list[str]:
    """KPIs present in a summary table (the names before `_mean`)."""
    return [c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")]


def kpi_table(summary: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """KPI means by point, indexed by point id, with the swept values first."""
    names = list(kpis) if kpis is not None else kpi_names(summary)
    columns = swept_parameters(summary) + [f"{k}_mean" for k in names]
    table = summary.set_index("point_id")[columns]
    return table.rename(columns={f"{k}_mean": k for k in names})


def parse_threshold(text: str) -> tuple[str, str, float]:
    """`"share_backup < 0.05"` -> ("share_backup", "<", 0.05)."""
    match = _THRESHOLD.match(text)
    if not match:
        raise ValueError(f"threshold {text!r}: expected 'kpi OP number' with OP one of <, <=, >, >=")
    kpi, op, value = match.groups()
    try:
        return kpi, op, float(value)
    except ValueError:
        raise ValueError(f"threshold {text!r}: {value!r} is not a number") from None


def apply_thresholds(
    summary: pd.DataFrame, thresholds: Sequence[str], *, conservative: bool = False
) -> pd.DataFrame:
    """Pass/fail per point for each threshold (`"kpi OP number"`), plus `success` (all pass).

    With `conservative`, a point passes only if the whole 95% confidence interval does (an upper bound uses
    `ci_high`, a lower bound `ci_low`): selection under Monte Carlo uncertainty. Otherwise the mean decides.
    """
    out = summary.copy()
    checks = []
    for text in thresholds:
        kpi, op, value = parse_threshold(text)
        if f"{kpi}_mean" not in summary:
            raise ValueError(f"threshold {text!r}: no KPI {kpi!r} (known: {', '.join(kpi_names(summary))})")
        column = f"{kpi}_mean"
        if conservative:
            bound = f"{kpi}_ci_high" if op.startswith("<") else f"{kpi}_ci_low"
            column = bound if summary[bound].notna().all() else column
        name = f"pass: {text.strip()}"
        out[name] = _OPS[op](summary[column], value)
        checks.append(name)
    out["success"] = out[checks].all(axis=1) if checks else True
    return out


def decision_tree(
    table: pd.DataFrame, parameters: Sequence[str], target: str = "success", max_depth: int = 3
) -> tuple[Any, str]:
    """Fit a `sklearn.tree.DecisionTreeClassifier` of `target` on the swept `parameters` (fixed random state) and
    return it with its rules as text (`export_text`): which parameters, at which values, decide success."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    x = table[list(parameters)].astype(float)
    y = table[target].astype(bool)
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=0).fit(x, y)
    return tree, export_text(tree, feature_names=list(parameters))


# ---------------------------------------------------------------------------------------------------------------------
# Global sensitivity and scenario discovery


@dataclass
class SensitivityResult:
    """Indices per KPI of a sweep sampled with a `sobol` or `morris` design: `tables[kpi]` as
    `aztec_econ.analysis.sensitivity.sobol_indices` / `morris_indices` return them (ranked), and `skipped[kpi]`,
    why a KPI has none (constant over the design, or undefined at some points)."""

    method: str
    parameters: list[str]
    rows: int
    points: int
    tables: dict[str, pd.DataFrame]
    skipped: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """`{kpi: {parameter: {"S1", "S1_conf", "ST", "ST_conf"}}}` (Morris: `mu_star`, `mu_star_conf`, `sigma`,
        `mu`), parameters in rank order."""
        return {kpi: as_json(table) for kpi, table in self.tables.items()}


def sensitivity(
    out_dir: str | Path,
    kpis: Sequence[str] | None = None,
    *,
    method: str | None = None,
    confidence: float = 0.95,
) -> SensitivityResult:
    """Sobol' indices (or Morris measures) of each of `kpis` (default: every KPI of the summary) over a finished
    sweep sampled with `sample: {method: sobol}` (or `morris`); the KPI of each design row is its point's mean over
    runs. `method`, if given, must be the sweep's. Raises `SensitivityError` for a sweep not sampled for the method,
    an unfinished one, or an unknown KPI."""
    root = Path(out_dir)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise SensitivityError(f"{root}: no {MANIFEST}; not the output directory of a sweep")
    sample = json.loads(manifest_path.read_text()).get("sample") or {}
    sampled = sample.get("method")
    if sampled not in DESIGN_METHODS or not (root / DESIGN).is_file():
        how = f"its sample method is {sampled!r}" if sampled else "it has no sample block"
        raise SensitivityError(
            f"{root} was not sampled for a sensitivity analysis ({how}): run a sweep file with "
            "`sample: {method: sobol, n: N, bounds: ...}` or `sample: {method: morris, trajectories: R, bounds: ...}`"
        )
    if method is not None and method != sampled:
        raise SensitivityError(
            f"{root} was sampled for {sampled}, not {method}: its design cannot give {method} indices "
            f"(run a sweep with `sample: {{method: {method}, ...}}`)"
        )
    design = pd.read_parquet(root / DESIGN)
    parameters = [c for c in design.columns if c not in ("row", "point_id")]
    summary = load_summary(root).set_index("point_id")
    missing = sorted(set(design["point_id"]) - set(summary.index))
    if missing:
        raise SensitivityError(
            f"{root}: {len(missing)} of {design['point_id'].nunique()} design points have no result (pending or "
            "failed); rerun the sweep to finish them, then analyse"
        )
    known = kpi_names(summary.reset_index())
    names = list(kpis) if kpis else known
    unknown = [k for k in names if k not in known]
    if unknown:
        raise SensitivityError(f"unknown KPI(s) {', '.join(unknown)} (known: {', '.join(known)})")
    result = SensitivityResult(sampled, parameters, len(design), design["point_id"].nunique(), {})
    for kpi in names:
        y = summary[f"{kpi}_mean"].reindex(design["point_id"]).to_numpy(dtype=float)
        if np.isnan(y).any():
            result.skipped[kpi] = f"undefined at {int(np.isnan(y).sum())} of {len(y)} design rows"
        elif is_constant(y):
            result.skipped[kpi] = "constant over the design"
        elif sampled == "sobol":
            result.tables[kpi] = sobol_indices(parameters, y, confidence=confidence, seed=int(sample["seed"]))
        else:
            result.tables[kpi] = morris_indices(
                parameters,
                design[parameters].to_numpy(dtype=float),
                y,
                levels=int(sample["levels"]),
                confidence=confidence,
                seed=int(sample["seed"]),
            )
    return result


def conditions(where: str | Sequence[str]) -> list[str]:
    """Conditions as threshold texts: a string may join several with ' and ' (`"a > 1 and b <= 2"`)."""
    texts = [where] if isinstance(where, str) else list(where)
    return [part.strip() for text in texts for part in re.split(r"\s+and\s+", text) if part.strip()]


@dataclass
class ScenarioResult:
    """PRIM's boxes where the conditions hold (`scenarios`), and the decision tree's rules as a second view."""

    conditions: list[str]
    parameters: list[str]
    found: Scenarios
    tree_rules: str


def scenarios(
    out_dir: str | Path | pd.DataFrame,
    where: str | Sequence[str],
    *,
    conservative: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    max_boxes: int = 2,
    max_depth: int = 3,
) -> ScenarioResult:
    """Where in the swept parameters the conditions `where` ("kpi OP number" on the KPI means, all of them; with
    `conservative`, on the side of the 95% interval that must pass, as in `apply_thresholds`) hold: PRIM boxes
    (`aztec_econ.analysis.scenarios.prim_boxes`) and a decision tree of the same verdict. `out_dir` is a sweep's
    output directory or its summary table. Best on sampled sweeps (lhs, sobol, random), whose points fill the box."""
    summary = out_dir if isinstance(out_dir, pd.DataFrame) else load_summary(out_dir)
    texts = conditions(where)
    if not texts:
        raise ValueError("no condition given (e.g. 'share_skipped > 0.01')")
    verdict = apply_thresholds(summary, texts, conservative=conservative)
    parameters = [p for p in swept_parameters(summary) if summary[p].nunique() > 1]
    if not parameters:
        raise ValueError("the sweep varies no parameter: there is no space to find boxes in")
    found = prim_boxes(summary[parameters], verdict["success"], threshold=threshold, max_boxes=max_boxes)
    numeric = [p for p in parameters if pd.api.types.is_numeric_dtype(summary[p])]
    rules = decision_tree(verdict, numeric, max_depth=max_depth)[1] if numeric else ""
    return ScenarioResult(texts, parameters, found, rules)


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def _format_table(table: pd.DataFrame) -> str:
    return table.to_string(float_format=lambda v: f"{v:.3f}" if math.isfinite(v) else "nan")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """`aztec-econ analyze sensitivity DIR`: indices per KPI, ranked; exit 2 for a sweep not sampled for them."""
    try:
        result = sensitivity(args.dir, args.kpi, method=args.method)
    except SensitivityError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
        return 0
    what = "first-order S1 and total ST Sobol' indices" if result.method == "sobol" else "Morris mu*, sigma"
    print(
        f"{what} over {len(result.parameters)} parameters, {result.rows} design rows "
        f"({result.points} distinct points); +/- columns are 95% bootstrap half-widths"
    )
    for kpi, table in result.tables.items():
        print(f"\n{kpi}")
        print(_format_table(table))
    if result.skipped:
        print("\nno indices: " + "; ".join(f"{k} ({why})" for k, why in result.skipped.items()))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """`aztec-econ analyze scenarios DIR --where COND`: PRIM boxes, then the decision tree's rules."""
    try:
        result = scenarios(
            args.dir,
            args.where,
            conservative=args.conservative,
            threshold=args.threshold,
            max_boxes=args.boxes,
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    found = result.found
    if args.json:
        print(json.dumps({"conditions": result.conditions, **found.to_json()}, indent=1))
        return 0
    print(
        f"{' and '.join(result.conditions)}: holds at {found.cases} of {found.points} points "
        f"(over {', '.join(result.parameters)})"
    )
    if not found.boxes:
        reason = (
            "it holds nowhere"
            if found.cases == 0
            else "it holds everywhere"
            if found.cases == found.points
            else f"no box reaches density {found.threshold:g}"
        )
        print(f"no PRIM box: {reason}")
    for i, box in enumerate(found.boxes, 1):
        print(
            f"\nbox {i}: coverage {box.coverage:.3f}, density {box.density:.3f}, mass {box.mass:.3f} "
            f"({box.cases} of the {box.points} points in it)"
        )
        for line, (_, row) in zip(box.describe().splitlines(), box.limits.iterrows(), strict=False):
            qp = min((q for q in (row["qp_low"], row["qp_high"]) if not math.isnan(q)), default=math.nan)
            print(f"  {line}    (quasi-p {qp:.2g})")
    if result.tree_rules:
        print("\ndecision tree (second view; class True = the conditions hold):")
        print(result.tree_rules.rstrip())
    return 0
