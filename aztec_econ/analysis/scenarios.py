"""Scenario discovery: the boxes of parameter space where a condition holds, found by PRIM (Friedman and Fisher's
Patient Rule Induction Method, as used for scenario discovery by Bryant and Lempert, 2010).

PRIM comes from the EMA Workbench (`ema_workbench.analysis.prim`, BSD-3-Clause, the reference implementation of
scenario discovery; see the README for why this one and not the `PRIM` package). It peels a box, starting from the
whole sample, a few percent of the points at a time along one parameter, keeping the cases of interest inside; each
step of this peeling trajectory trades coverage for density:

- coverage: the share of all cases of interest that lie in the box;
- density: the share of the box's points that are cases of interest;
- mass: the share of all points in the box.

`prim_boxes` picks on each trajectory the most covering box whose density reaches `threshold` (the trajectory
itself stays available to an analyst), then looks for a further box among the points not yet covered, up to
`max_boxes`. Each box lists only the parameters it restricts, with PRIM's quasi-p-values (how likely that
restriction arises by chance; small is significant). Operates on tables: reading a sweep is
`aztec_econ.sweep.analysis.scenarios`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 0.8
"""Least density of a reported box (share of its points where the condition holds)."""


@dataclass(frozen=True)
class ScenarioBox:
    """One box: `limits` has one row per restricted parameter (`low`, `high` for numbers, `values` for choices,
    `qp_low`/`qp_high` the quasi-p-values of its lower and upper restriction; NaN where a side is not restricted);
    `coverage`, `density`, `mass` as in the module docstring; `points` in the box and `cases` of interest there;
    `step`: its index on PRIM's peeling trajectory, `trajectory`: that trajectory (coverage, density, mass,
    res_dim per step)."""

    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    points: int
    cases: int
    step: int
    trajectory: pd.DataFrame

    def describe(self) -> str:
        """The box's restrictions as text, one per line (`low <= name <= high`, `name <= high` where only the upper
        side is restricted, `name in {a, b}`), the most significant first."""
        lines = []
        for name, row in self.limits.iterrows():
            if isinstance(row["values"], tuple):
                lines.append(f"{name} in {{{', '.join(map(str, row['values']))}}}")
            elif math.isnan(row["qp_low"]) and not math.isnan(row["qp_high"]):
                lines.append(f"{name} <= {_number(row['high'])}")
            elif math.isnan(row["qp_high"]) and not math.isnan(row["qp_low"]):
                lines.append(f"{name} >= {_number(row['low'])}")
            else:
                lines.append(f"{_number(row['low'])} <= {name} <= {_number(row['high'])}")
        return "\n".join(lines) if lines else "(no restriction: the whole sample)"


@dataclass(frozen=True)
class Scenarios:
    """The boxes found (in order: each among the points the earlier ones leave), with the sample's size and how
    many of its points are cases of interest."""

    boxes: list[ScenarioBox]
    points: int
    cases: int
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "cases": self.cases,
            "threshold": self.threshold,
            "boxes": [
                {
                    "coverage": b.coverage,
                    "density": b.density,
                    "mass": b.mass,
                    "points": b.points,
                    "cases": b.cases,
                    "limits": {
                        str(name): {
                            k: (list(v) if isinstance(v, tuple) else None if _missing(v) else float(v))
                            for k, v in row.items()
                        }
                        for name, row in b.limits.iterrows()
                    },
                }
                for b in self.boxes
            ],
        }


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float) -> str:
    return f"{value:.4g}"


def prim_boxes(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray | pd.Series,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_boxes: int = 2,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Scenarios:
    """Boxes of the parameters `x` (one row per point; numeric or categorical columns) where `y` (one bool per
    point: the condition holds) is concentrated; see the module docstring. No box when no point, or every point,
    is a case of interest (there is nothing to separate)."""
    cases = np.asarray(y, dtype=bool)
    if len(cases) != len(x):
        raise ValueError(f"x has {len(x)} points but y has {len(cases)} values")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold = {threshold}: must be in (0, 1]")
    n_cases = int(cases.sum())
    if n_cases == 0 or n_cases == len(cases) or x.shape[1] == 0:
        return Scenarios([], len(cases), n_cases, threshold)
    prim = _prim_module()
    table = _prim_inputs(x)
    with _quiet():
        algorithm = prim.Prim(
            table,
            cases,
            threshold=threshold,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
        )
        boxes: list[ScenarioBox] = []
        while len(boxes) < max_boxes:
            box = algorithm.find_box()
            if box is None:
                break
            trajectory = box.peeling_trajectory
            meets = trajectory.index[trajectory["density"] >= threshold]
            if len(meets) == 0 or int(trajectory["res_dim"].max()) == 0:
                break  # PRIM returned its "dump box": nothing left reaches the threshold
            best = trajectory.loc[meets].sort_values(["coverage", "density"], ascending=False, kind="stable")
            step = int(best.index[0])
            box.select(step)
            boxes.append(_box(box, step))
    return Scenarios(boxes, len(cases), n_cases, threshold)


def _prim_module() -> Any:
    with warnings.catch_warnings():  # the workbench warns that optional parallel back-ends are not installed
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the workbench's logging and numpy/pandas warnings while PRIM runs."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _prim_inputs(x: pd.DataFrame) -> pd.DataFrame:
    """Columns as PRIM reads them: numbers as floats, booleans and strings as categories. (Integers go in as
    floats: the workbench's integer branch writes fractional paste limits into int64 columns, which pandas 3
    refuses; as floats the boxes' limits are still values between the sampled integers.)"""
    out = pd.DataFrame(index=pd.RangeIndex(len(x)))
    for name in x.columns:
        column = x[name].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            out[name] = column.astype(str).astype(object)
        else:
            out[name] = column.astype(np.float64)
    return out


def _box(box: Any, step: int) -> ScenarioBox:
    # The box's limits and quasi-p-values are read from its attributes: the workbench's own `inspect` table
    # cannot hold a category set in a float column under pandas 3.
    stats = box.peeling_trajectory.iloc[step]
    bounds = box.box_lims[step]
    rows = []
    for name, (qp_low, qp_high) in sorted(box.qp[step].items(), key=lambda kv: _significance(kv[1])):
        low, high = bounds[name].iloc[0], bounds[name].iloc[1]
        if isinstance(low, set | frozenset):
            rows.append(
                {"parameter": name, "low": np.nan, "high": np.nan, "values": tuple(sorted(low, key=str))}
            )
        else:
            rows.append({"parameter": name, "low": float(low), "high": float(high), "values": None})
        rows[-1] |= {"qp_low": _qp(qp_low), "qp_high": _qp(qp_high)}
    frame = pd.DataFrame(rows, columns=["parameter", "low", "high", "values", "qp_low", "qp_high"])
    return ScenarioBox(
        limits=frame.set_index("parameter"),
        coverage=float(stats["coverage"]),
        density=float(stats["density"]),
        mass=float(stats["mass"]),
        points=int(stats["n"]),
        cases=round(float(stats["density"]) * int(stats["n"])),
        step=step,
        trajectory=box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy(),
    )


def _significance(values: Sequence[Any]) -> float:
    """The smallest quasi-p-value of a restriction (most significant first; unrestricted sides count as 1)."""
    return min((q for q in map(_qp, values) if not math.isnan(q)), default=1.0)


def _qp(value: Any) -> float:
    """A quasi-p-value; the workbench writes -1 (or nothing) for a side that is not restricted: NaN here."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return math.nan if number < 0 else number
