"""Scenarios side by side: each KPI's mean and confidence interval per scenario, and its difference from the first
scenario (the reference) with a paired confidence interval.

With common random numbers (every scenario simulated with the same seed, so run i of each draws the same random
streams for the same purposes) the per-run differences pair up: the interval of the mean difference is a paired
Student-t interval over runs, usually far narrower than the two scenarios' own intervals suggest. Intervals are kept
in each KPI's range (`aztec_econ.analysis.intervals`); differences are not bounded.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from aztec_econ.analysis.intervals import kpi_bounds

COLUMNS = ("kpi", "scenario", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high", "n")
"""Columns of `compare_kpis`."""


def _t_half(values: np.ndarray, confidence: float) -> float:
    n = int(np.isfinite(values).sum())
    if n < 2:
        return float("nan")
    std = float(np.nanstd(values, ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / np.sqrt(n))


def compare_kpis(per_run: Mapping[str, pd.DataFrame], confidence: float = 0.95) -> pd.DataFrame:
    """One row per (KPI, scenario), KPIs in column order, scenarios in the mapping's order: the mean over runs and
    its t interval (clipped to the KPI's range), and, for every scenario after the first, the mean of the per-run
    differences from the first (`diff`, runs paired by index) with its paired t interval; NaN for the reference.

    `per_run` maps a scenario name to its `aztec_econ.analysis.kpis.kpis_per_run` table; every table must have the
    same runs."""
    names = list(per_run)
    if not names:
        raise ValueError("compare_kpis: no scenarios")
    frames = {n: f.set_index("run").sort_index() if "run" in f else f for n, f in per_run.items()}
    reference = frames[names[0]]
    for name in names[1:]:
        if not frames[name].index.equals(reference.index):
            raise ValueError(
                f"compare_kpis: scenario {name!r} has runs {list(frames[name].index)}, the reference "
                f"{list(reference.index)}: paired differences need the same runs (same sim.runs)"
            )
    rows = []
    for kpi in reference.columns:
        base = reference[kpi].to_numpy(dtype=np.float64)
        lower, upper = kpi_bounds(kpi)
        for name in names:
            values = frames[name][kpi].to_numpy(dtype=np.float64)
            mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
            half = _t_half(values, confidence)
            low, high = mean - half, mean + half
            if lower is not None:
                low = max(low, lower)
            if upper is not None:
                high = min(high, upper)
            diff = diff_low = diff_high = float("nan")
            if name != names[0]:
                delta = values - base
                if np.isfinite(delta).any():
                    diff = float(np.nanmean(delta))
                    spread = _t_half(delta, confidence)
                    diff_low, diff_high = diff - spread, diff + spread
            rows.append(
                (kpi, name, mean, low, high, diff, diff_low, diff_high, int(np.isfinite(values).sum()))
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def differing(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of `compare_kpis` whose difference from the reference has an interval that excludes 0 (or, with a
    zero-width interval, a difference that is not 0)."""
    low, high, diff = table["diff_ci_low"], table["diff_ci_high"], table["diff"]
    exact = low.isna() & diff.notna() & (diff != 0)
    return table[((low > 0) | (high < 0)) | exact]
