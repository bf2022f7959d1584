"""Draws within bounds for a sweep's `sample:` axis: the `Sample` it describes and the rows it gives.

`lhs` (latin hypercube) and `random` draw with numpy's PCG64 from the sweep's seed; `sobol` (Saltelli's extension of
a scrambled Sobol' sequence) and `morris` (elementary-effect trajectories) are SALib designs, whose continuous rows
(`design_matrix`) the sensitivity estimators read in order (`aztec_econ.analysis.sensitivity`). Integer bounds
[low, high] are inclusive: drawn on [low, high + 1) and floored. The file format and its validation are
`aztec_econ.sweep.spec`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_METHODS = ("lhs", "random", "sobol", "morris")
DESIGN_METHODS = ("sobol", "morris")
"""Sample methods whose rows form a design that a sensitivity estimator reads in order."""


@dataclass(frozen=True)
class Sample:
    """Draws within bounds: `method` "lhs" (latin hypercube: each axis stratified into `n` equal bins, one draw per
    bin, bins paired at random), "random" (independent uniform draws), "sobol" (Saltelli's design on a scrambled
    Sobol' sequence of `n` base rows: n x (D + 2) rows) or "morris" (`n` trajectories of D + 1 rows on a grid of
    `levels` values per axis)."""

    method: str
    n: int
    bounds: dict[str, tuple[float, float]]
    levels: int = 4
    """Grid levels per axis of a Morris design (even; unused by the other methods)."""

    @property
    def size(self) -> int:
        """Rows the sample gives."""
        d = len(self.bounds)
        return (
            self.n * (d + 2)
            if self.method == "sobol"
            else self.n * (d + 1)
            if self.method == "morris"
            else self.n
        )

    def header(self, seed: int) -> dict[str, Any]:
        """The sample as recorded in a sweep's manifest (what a sensitivity analysis needs besides the design)."""
        out: dict[str, Any] = {
            "method": self.method,
            "seed": seed,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
        }
        if self.method == "morris":
            out |= {"trajectories": self.n, "levels": self.levels}
        else:
            out["n"] = self.n
        return out


def _is_int_axis(low: float, high: float) -> bool:
    return isinstance(low, int) and isinstance(high, int)


def salib_problem(bounds: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem for `bounds`: integer axes [low, high] become [low, high + 1) (floored when drawn)."""
    return {
        "num_vars": len(bounds),
        "names": list(bounds),
        "bounds": [
            [low, high + 1] if _is_int_axis(low, high) else [low, high] for low, high in bounds.values()
        ],
    }


def design_matrix(sample: Sample, seed: int) -> np.ndarray:
    """A `sobol` or `morris` sample's continuous design, `sample.size` x D, in the parameters' units (SALib,
    seeded by `seed`)."""
    import warnings

    from SALib.sample import morris, sobol

    problem = salib_problem(sample.bounds)
    with warnings.catch_warnings():  # SALib warns on float32 rounding of bounds; the design is what it is
        warnings.simplefilter("ignore")
        if sample.method == "sobol":
            return np.asarray(sobol.sample(problem, sample.n, calc_second_order=False, seed=seed))
        if sample.method == "morris":
            return np.asarray(morris.sample(problem, sample.n, num_levels=sample.levels, seed=seed))
    raise ValueError(f"sample.method = {sample.method!r}: not a design method ({', '.join(DESIGN_METHODS)})")


def sample_rows(sample: Sample, seed: int) -> list[dict[str, Any]]:
    """The `sample.size` rows of draws, reproducible from `seed` (lhs and random: numpy PCG64, axes drawn in file
    order; sobol and morris: `design_matrix`). Integer axes give ints (inclusive bounds), the others floats."""
    columns: dict[str, list[Any]] = {}
    if sample.method in DESIGN_METHODS:
        matrix = design_matrix(sample, seed)
        for j, (name, (low, high)) in enumerate(sample.bounds.items()):
            if _is_int_axis(low, high):
                columns[name] = [int(v) for v in np.minimum(np.floor(matrix[:, j]), high)]
            else:  # the design stays inside [low, high]; clip float rounding at the edges
                columns[name] = [float(v) for v in np.clip(matrix[:, j], low, high)]
        return [{k: columns[k][i] for k in columns} for i in range(sample.size)]
    rng = np.random.default_rng(seed)
    for name, (low, high) in sample.bounds.items():
        if sample.method == "lhs":
            u = (rng.permutation(sample.n) + rng.random(sample.n)) / sample.n
        else:
            u = rng.random(sample.n)
        if _is_int_axis(low, high):
            columns[name] = [int(v) for v in np.minimum(low + np.floor(u * (high - low + 1)), high)]
        else:
            columns[name] = [float(v) for v in low + u * (high - low)]
    return [{k: columns[k][i] for k in columns} for i in range(sample.n)]
