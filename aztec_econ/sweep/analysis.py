"""Analysis of sweep outputs: KPI tables by point, KPI thresholds (pass/fail per point) and a decision tree showing
which parameters decide success (the parameter-selection workflow of aztec-gddt). The KPI-versus-parameter figure
is drawn by `aztec_econ.publish.plots.kpi_vs_parameter` (figures belong to the publishing layer).

```python
from aztec_econ.sweep import analysis as sa
summary = sa.load_summary("out/sweep")                      # one row per point: swept values, <kpi>_mean/_ci_*
verdict = sa.apply_thresholds(summary, ["share_backup < 0.05", "finalized_per_day >= 130"], conservative=True)
tree, text = sa.decision_tree(verdict, sa.swept_parameters(summary), "success")
plots.kpi_vs_parameter(summary, "share_backup", "protocol.prover_bond")   # from aztec_econ.publish import plots
```
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from aztec_econ.sweep.store import POINTS, SUMMARY

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
