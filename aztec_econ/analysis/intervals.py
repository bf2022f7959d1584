"""Confidence intervals that stay inside a quantity's possible range, with the method named.

A symmetric Student-t interval of a mean over a few runs can leave the range a KPI can take (a share's upper bound
1.06, a negative count, a negative p99 time). `kpi_interval` picks, from a KPI's declaration
(`aztec_econ.analysis.kpis.KPIS`: `bounds`, `trials`):

- shares of simulated slots (`trials == "slots"`): the Wilson score interval for the pooled share with n = runs x
  slots trials (Wilson 1927; it never leaves [0, 1] and is not degenerate at 0 or 1), or, where runs differ more
  than independent slots would (the t interval over runs, clipped to [0, 1], is wider), that one;
- anything else with bounds: the t interval clipped at the bounds (a clipped side is named in the method);
- unbounded quantities: the t interval as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri  # = scipy.stats.norm.ppf, without scipy.stats's start-up

from aztec_econ.analysis.kpis import KPIS

_DECLARED = {k.name: k for k in KPIS}


def wilson(
    share: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval of a share observed over `trials` independent trials (vectorised; NaN where n = 0)."""
    p = np.clip(np.asarray(share, dtype=np.float64), 0.0, 1.0)
    n = np.asarray(trials, dtype=np.float64)
    z = float(ndtri(0.5 + confidence / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


@dataclass(frozen=True)
class Interval:
    """Lower and upper ends (arrays, one per point) and the method, in words."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    method: str


def kpi_bounds(name: str) -> tuple[float | None, float | None]:
    """The range of KPI `name` (a declared KPI, or a name derived from one: `theory_<kpi>`, `<kpi>_...` is not
    guessed); (None, None) for names not declared."""
    kpi = _DECLARED.get(name.removeprefix("theory_"))
    return kpi.bounds if kpi is not None else (None, None)


def kpi_interval(
    name: str,
    mean: ArrayLike,
    half_width: ArrayLike,
    slots_simulated: ArrayLike | None = None,
    confidence: float = 0.95,
) -> Interval:
    """The interval to draw around `mean` of KPI `name` (see the module docstring). `half_width` is the symmetric
    t half-width over runs; `slots_simulated` (runs x slots per point) enables the Wilson interval for shares of
    slots."""
    m = np.asarray(mean, dtype=np.float64)
    h = np.abs(np.asarray(half_width, dtype=np.float64))
    kpi = _DECLARED.get(name)
    level = f"{100 * confidence:g}%"
    if kpi is not None and kpi.trials == "slots" and slots_simulated is not None:
        n = np.broadcast_to(np.asarray(slots_simulated, dtype=np.float64), m.shape)
        low, high = wilson(m, n, confidence)
        t_low, t_high = np.clip(m - h, 0.0, 1.0), np.clip(m + h, 0.0, 1.0)
        wider = (t_high - t_low) > (high - low)
        method = f"Wilson {level} (n = runs x slots)"
        if np.any(wider):
            low, high = np.where(wider, t_low, low), np.where(wider, t_high, high)
            method += f"; t {level} over runs clipped to [0, 1] where wider"
        return Interval(low, high, method)
    low, high = m - h, m + h
    lower, upper = kpi.bounds if kpi is not None else (None, None)
    clipped = []
    if lower is not None and np.any(low < lower):
        low = np.maximum(low, lower)
        clipped.append(f"{lower:g}")
    if upper is not None and np.any(high > upper):
        high = np.minimum(high, upper)
        clipped.append(f"{upper:g}")
    method = f"t {level} over runs" + (f", clipped at {' and '.join(clipped)}" if clipped else "")
    return Interval(low, high, method)
