"""Global sensitivity indices of a KPI over a sampled design, with SALib's estimators (none reimplemented here).

Two methods, meant to be used in stages:

1. **Morris screening** (`morris_indices`): r trajectories x (D + 1) model runs rank many parameters cheaply by the
   mean absolute elementary effect `mu_star` (how much the KPI moves when the parameter moves one grid step, as a
   share of its range), with `sigma` (their spread: non-linearity or interactions). Parameters with a small
   `mu_star` can be fixed.
2. **Sobol' indices** (`sobol_indices`) on the few that matter: N x (D + 2) runs give per parameter the first-order
   index `S1` (the share of the KPI's variance it explains alone) and the total index `ST` (alone and in every
   interaction; `ST` near 0 means the parameter does not matter anywhere in the box), each with a bootstrap
   confidence half-width.

The designs come from `aztec_econ.sweep.spec` (`sample: {method: sobol | morris}`); these functions read the KPI's
values in design order. They operate on arrays and tables only: reading a sweep's outputs is
`aztec_econ.sweep.analysis.sensitivity`. Inputs are independent and uniform on their bounds.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "sigma", "mu")
RESAMPLES = 1000
"""Bootstrap resamples behind every confidence half-width."""


class SensitivityError(ValueError):
    """A KPI's values cannot give indices (wrong length, undefined values); the message says why."""


def _problem(names: Sequence[str]) -> dict[str, Any]:
    # The estimators read only the names; bounds are the design's business (unit bounds keep SALib's checks happy).
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _values(y: Sequence[float] | np.ndarray, rows: int, what: str) -> np.ndarray:
    values = np.asarray(y, dtype=float)
    if values.shape != (rows,):
        raise SensitivityError(f"{what}: expected {rows} values in design order, got shape {values.shape}")
    missing = int(np.isnan(values).sum())
    if missing:
        raise SensitivityError(f"{what}: undefined (NaN) at {missing} of {rows} design rows")
    return values


def is_constant(y: Sequence[float] | np.ndarray) -> bool:
    """Whether a KPI takes one value over the whole design (no variance: no index is defined)."""
    values = np.asarray(y, dtype=float)
    return bool(np.all(values == values[0])) if values.size else True


def sobol_indices(
    names: Sequence[str],
    y: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order and total Sobol' indices of `y`, the KPI at the rows of a `sobol` design (N x (D + 2) values
    for the D parameters `names`, in design order), with bootstrap half-widths at `confidence`
    (`SALib.analyze.sobol.analyze`, seeded). One row per parameter, ranked by `ST`: S1, S1_conf, ST, ST_conf."""
    from SALib.analyze import sobol

    d = len(names)
    values = np.asarray(y, dtype=float)
    if d < 1 or values.size % (d + 2):
        raise SensitivityError(
            f"a sobol design over {d} parameters has a multiple of {d + 2} rows, not {values.size}"
        )
    values = _values(values, values.size, "sobol")
    if is_constant(values):
        raise SensitivityError("sobol: the KPI is constant over the design, so no index is defined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sobol.analyze(
            _problem(names),
            values,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=confidence,
            seed=seed,
        )
    table = pd.DataFrame({c: np.asarray(result[c], dtype=float) for c in SOBOL_COLUMNS}, index=list(names))
    return table.rename_axis("parameter").sort_values("ST", ascending=False, kind="stable")


def morris_indices(
    names: Sequence[str],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    levels: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris screening measures of `y`, the KPI at the rows of a `morris` design `x` (r (D + 1) rows x D design
    values, in design order, on a grid of `levels` values per axis): per parameter `mu_star` (mean absolute
    elementary effect per grid step as a share of the range), its bootstrap half-width `mu_star_conf`, `sigma`
    (standard deviation of the effects) and `mu` (their mean; signed). `SALib.analyze.morris.analyze`, seeded.
    Ranked by `mu_star`."""
    from SALib.analyze import morris

    design = np.asarray(x, dtype=float)
    d = len(names)
    if design.ndim != 2 or design.shape[1] != d or design.shape[0] % (d + 1):
        raise SensitivityError(
            f"a morris design over {d} parameters is r x {d + 1} rows by {d} columns, not {design.shape}"
        )
    values = _values(y, design.shape[0], "morris")
    # The elementary effects use only the direction of each step, so the design may be in the parameters' units.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = morris.analyze(
            _problem(names),
            design,
            values,
            num_resamples=RESAMPLES,
            conf_level=confidence,
            num_levels=levels,
            seed=seed,
        )
    table = pd.DataFrame({c: np.asarray(result[c], dtype=float) for c in MORRIS_COLUMNS}, index=list(names))
    return table.rename_axis("parameter").sort_values("mu_star", ascending=False, kind="stable")


def product_sobol_indices(means: Mapping[str, float], second_moments: Mapping[str, float]) -> pd.DataFrame:
    """Exact Sobol' indices of a product of independent factors, f = prod_i g_i(x_i), from each factor's mean
    E[g_i] and second moment E[g_i^2] (what a test holds `sobol_indices` to for a closed form of that shape, such
    as `theory.happy_path_probability`).

    With m_i = E[g_i], s_i = E[g_i^2] and V = prod s - prod m^2 the variance of f:
    S1_i = (s_i - m_i^2) prod_{j != i} m_j^2 / V and ST_i = 1 - m_i^2 (prod_{j != i} s_j - prod_{j != i} m_j^2) / V.
    """
    names = list(means)
    m = np.array([means[k] for k in names], dtype=float)
    s = np.array([second_moments[k] for k in names], dtype=float)
    variance = float(np.prod(s) - np.prod(m**2))
    if not variance > 0:
        raise SensitivityError("the product has no variance: every factor is constant")
    s1, st = [], []
    for i in range(len(names)):
        others = np.arange(len(names)) != i
        s1.append((s[i] - m[i] ** 2) * np.prod(m[others] ** 2) / variance)
        st.append(1 - m[i] ** 2 * (np.prod(s[others]) - np.prod(m[others] ** 2)) / variance)
    return pd.DataFrame({"S1": s1, "ST": st}, index=pd.Index(names, name="parameter"))


def ranking(table: pd.DataFrame) -> list[str]:
    """Parameters from the most to the least influential (a table of `sobol_indices` or `morris_indices`)."""
    return [str(p) for p in table.index]


def as_json(table: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """A table of indices as `{parameter: {column: value}}`, in rank order (NaN as None)."""
    return {
        str(name): {str(c): (None if pd.isna(v) else float(v)) for c, v in row.items()}
        for name, row in table.iterrows()
    }
