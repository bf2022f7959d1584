"""Sweep files (`params/sweeps/*.yaml`): a base parameter file plus axes, expanded into validated points.

```yaml
name: reward_split_x_prover_bond     # names the sweep (letters, digits, '.', '_', '-')
base: ../baseline.yaml               # parameter file, relative to this file (its own `base:` chain is followed)
runs: 10                             # Monte Carlo runs per point (sets sim.runs; an override of it wins)
seed: 1                              # sweep-level seed for `sample` draws (optional, default 0)
overrides:                           # dotted overrides applied to every point (optional)
  sim.slots: 4320
grid:                                # cartesian product over the listed values (optional)
  protocol.prover_bond: [100, 1000, 10000]
zip:                                 # aligned lists: the i-th values go together (optional); equal lengths required.
  protocol.reward_split.sequencer: [0.5, 0.4]   # A list of such mappings gives several zipped axes.
  protocol.reward_split.prover: [0.4, 0.5]
sample:                              # random draws within bounds (optional)
  method: lhs                        # lhs (latin hypercube), random, sobol or morris (below)
  n: 20
  bounds:                            # [low, high]; two ints draw ints (inclusive), otherwise floats
    agents.provers.failure_probability: [0.0, 0.2]
```

The points are the cartesian product of the grid axes, each zip group and the sample rows (an absent axis
contributes one empty factor; a sweep with no axis is its base as one point).

**Designs for global sensitivity** (SALib; read back by `aztec-econ analyze sensitivity`):

```yaml
sample: {method: sobol, n: 256, bounds: {...}}                      # Saltelli's extension of Sobol' sequences
sample: {method: morris, trajectories: 10, levels: 4, bounds: {...}}  # Morris elementary-effect trajectories
```

`sobol` draws `n` (a power of 2) base rows and gives n x (D + 2) points for D parameters (first-order and total
indices; no second-order ones); `morris` gives trajectories x (D + 1) points on a grid of `levels` (even) values per
axis. Both are seeded by the sweep's `seed` (scrambled Sobol' sequence, `SALib.sample.sobol.sample`; trajectories,
`SALib.sample.morris.sample`; the draws are `aztec_econ.sweep.sampling`'s). A design is read in order, so it must
be the sweep's only axis (no grid or zip). Integer bounds [low, high] are drawn on [low, high + 1) and floored, as
for `lhs`. The design's rows in order, with the continuous values the estimators read and each row's point id, are
`SweepSpec.design` (the sweep's output directory keeps them as `design.parquet`). Every point is validated with
the full `Params` validation before anything runs; a `SweepError` names the point, field, value and rule of every problem.

A point's id is a hash of its resolved parameters (`Params.to_json`), so editing the sweep file recomputes only the
points whose parameters change; points that resolve to identical parameters are computed once.

In Python, `grid_spec(base, grid, zips=..., points=...)` builds the same `SweepSpec` without a file, from a `Params`
(say, a notebook's), a parameter file, or overrides of the baseline:

```python
spec = grid_spec(params, {"attacks.randao.strategy": ["none", "reroll"], "attacks.randao.l1_proposer_share": [0.1]})
spec = sample_spec(params, Sample("morris", 10, {"agents.sequencers.offline_probability": (0.0, 0.3)}), seed=1)
```
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aztec_econ.params import (  # the dotted-name helpers are shared with parameter files
    BASELINE,
    PROJECT_ROOT,
    Params,
    ParamsError,
    apply_dotted,
    flatten,
    load_tree,
    parse_params,
    read_yaml_file,
    show_value,
)
from aztec_econ.sweep.sampling import (  # notebooks, tests and benchmarks import these from here too
    DESIGN_METHODS,
    SAMPLE_METHODS,
    Sample,
    design_matrix,
    sample_rows,
)

SWEEPS_DIR = PROJECT_ROOT / "params" / "sweeps"
ID_LENGTH = 16
"""Hex digits of a point id (64 bits of SHA-256 of the canonical parameter JSON)."""
_KEYS = {"name", "base", "runs", "seed", "overrides", "grid", "zip", "sample", "description"}
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
MAX_POINTS = 100_000
"""Most points one sweep may expand to (every point is validated in memory before anything runs)."""


class SweepError(ParamsError):
    """An invalid sweep file or sweep point; each line names where (file key or point), the value and the rule."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its position, its swept values (dotted names) and its validated parameters."""

    index: int
    values: dict[str, Any]
    params: Params

    @property
    def id(self) -> str:
        """Stable id: the first `ID_LENGTH` hex digits of SHA-256 of the canonical parameter JSON."""
        return point_id(self.params)

    def label(self) -> str:
        """A short description of the point: its swept values."""
        return ", ".join(f"{k}={v!r}" for k, v in self.values.items()) or "(base)"


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file (or one built in Python by `grid_spec`). `points` are validated and free of duplicates,
    in expansion order. `base` is the base parameter file; None when the base was given as a `Params`."""

    name: str
    base: Path | None
    runs: int | None
    seed: int
    overrides: dict[str, Any]
    grid: dict[str, list[Any]]
    zips: list[dict[str, list[Any]]]
    sample: Sample | None
    points: tuple[SweepPoint, ...] = field(repr=False)
    path: Path | None = None
    description: str = ""
    design: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """A `sobol` or `morris` sample's rows in order: `row`, `point_id` (rows that resolve to the same parameters
    share a point), then per sampled parameter the design value the estimators read (continuous, before integer
    flooring). None for other sweeps."""

    @property
    def axes(self) -> list[str]:
        """Every swept dotted name, in file order."""
        names = list(self.grid)
        for group in self.zips:
            names += list(group)
        if self.sample is not None:
            names += list(self.sample.bounds)
        return names


def point_id(params: Params) -> str:
    """The stable id of a parameter set (see `SweepPoint.id`)."""
    return hashlib.sha256(params.to_json().encode()).hexdigest()[:ID_LENGTH]


def load_sweep(path: str | Path, overrides: Mapping[str, Any] | None = None) -> SweepSpec:
    """Read, expand and validate a sweep file (see the module docstring for the format). `overrides` (dotted names)
    are applied to every point after the file's own, e.g. `{"sim.slots": 288}` for a quick look."""
    path = Path(path).resolve()
    origin = f"sweep {path}"
    data = read_yaml_file(path, origin, SweepError) or {}
    if not isinstance(data, Mapping):
        raise SweepError([f"the top level must be a mapping, not {type(data).__name__}"], origin)
    if overrides:
        data = {
            **data,
            "overrides": {**dict(flatten(_mapping(data.get("overrides"), "overrides", []))), **overrides},
        }
    return parse_sweep(data, path.parent, origin=origin, path=path)


def check_common_keys(
    data: Mapping[str, Any], known: set[str], base_relative_to: str, problems: list[str]
) -> tuple[Any, Any, Any]:
    """Check what a sweep file and an optimisation file (`aztec_econ.sweep.study_file`) share: no key outside
    `known`, `name`, `base` (a parameter file relative to `base_relative_to`) and the optional `runs`. Appends each
    problem to `problems` and returns (name, base, runs) as given (valid only when no problem was added)."""
    problems += [
        f"{k} = {show_value(data[k])}: unknown key (known: {', '.join(sorted(known))})"
        for k in data
        if k not in known
    ]
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        problems.append(f"name = {show_value(name)}: required; letters, digits, '.', '_' and '-'")
    base = data.get("base")
    if not isinstance(base, str):
        problems.append(
            f"base = {show_value(base)}: required; a parameter file relative to {base_relative_to}"
        )
    runs = data.get("runs")
    if runs is not None and (not isinstance(runs, int) or isinstance(runs, bool) or runs < 1):
        problems.append(f"runs = {show_value(runs)}: must be an integer >= 1")
    return name, base, runs


def base_tree(
    root: Path, base: str, overrides: Mapping[str, Any], runs: int | None
) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The parameter tree of the file `base` (relative to `root`; its own `base:` chain followed) with `overrides`
    (nested or dotted) applied and `runs` as `sim.runs` (an explicit `sim.runs` override wins): (the base file's
    path, the tree, the dotted overrides applied)."""
    base_path = (root / base).resolve()
    tree = load_tree(base_path)
    flat_overrides = dict(flatten(dict(overrides)))
    if runs is not None:  # an explicit `sim.runs` override wins
        flat_overrides = {"sim.runs": runs, **flat_overrides}
    apply_dotted(tree, flat_overrides)
    return base_path, tree, flat_overrides


def parse_sweep(
    data: Mapping[str, Any], root: Path, *, origin: str = "sweep", path: Path | None = None
) -> SweepSpec:
    """Expand and validate a sweep mapping whose `base` is relative to `root`."""
    problems: list[str] = []
    name, base, runs = check_common_keys(data, _KEYS, "the sweep file", problems)
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"seed = {show_value(seed)}: must be an integer >= 0")
    overrides = _mapping(data.get("overrides"), "overrides", problems)
    grid = _lists(_mapping(data.get("grid"), "grid", problems), "grid", problems)
    zips = _zip_groups(data.get("zip"), problems)
    sample = _sample(data.get("sample"), problems)
    if sample is not None and sample.method in DESIGN_METHODS and (grid or zips):
        problems.append(
            f"sample.method = {sample.method!r}: a {sample.method} design is read in order, so it must be the "
            "sweep's only axis (remove grid and zip, or sweep them in separate files)"
        )
    if problems:
        raise SweepError(problems, origin)
    assert isinstance(name, str) and isinstance(base, str)
    base_path, tree, flat_overrides = base_tree(root, base, overrides, runs)
    _check_size(grid, zips, sample, origin)
    rows = [*_factors(grid, zips, sample, seed)]
    points, row_ids = _validate(tree, rows, origin)
    design = _design(sample, seed, row_ids)
    return SweepSpec(
        name=name,
        base=base_path,
        runs=runs,
        seed=seed,
        overrides=flat_overrides,
        grid=grid,
        zips=zips,
        sample=sample,
        points=points,
        path=path,
        description=str(data.get("description", "")),
        design=design,
    )


def grid_spec(
    base: Params | str | Path | Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    zips: Sequence[Mapping[str, Sequence[Any]]] = (),
    points: Sequence[Mapping[str, Any]] | None = None,
    runs: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    name: str = "grid",
) -> SweepSpec:
    """A sweep built in Python, validated like a sweep file.

    `base`: a `Params`, a parameter file, or dotted overrides of the baseline (None: the baseline); `overrides`
    (dotted) apply to every point, and `runs` sets `sim.runs` (an override of it wins). The points are the cartesian
    product of the `grid` axes (dotted name -> values; the first axis varies slowest) and each of the `zips` groups
    (aligned lists of equal length), as in a file's `grid:` and `zip:`; `points`, explicit rows of dotted values
    (the same names in every row), form one more zip group. No axis at all: the base is the one point.
    """
    problems: list[str] = []
    if not _NAME.fullmatch(name):
        problems.append(f"name = {show_value(name)}: letters, digits, '.', '_' and '-'")
    if runs is not None and (not isinstance(runs, int) or isinstance(runs, bool) or runs < 1):
        problems.append(f"runs = {show_value(runs)}: must be an integer >= 1")
    axes = _lists({k: _listed(v) for k, v in (grid or {}).items()}, "grid", problems)
    groups = [{k: _listed(v) for k, v in group.items()} for group in zips]
    if points is not None:
        names = list(points[0]) if len(points) else []
        if not names or any(list(row) != names for row in points):
            problems.append(
                f"points = {show_value(list(points))}: rows must name the same parameters, at least one"
            )
        else:
            groups.append({k: [row[k] for row in points] for k in names})
    zip_groups = _zip_groups(groups, problems)
    origin = f"sweep {name}"
    if problems:
        raise SweepError(problems, origin)
    base_path: Path | None = None
    if isinstance(base, Params):
        tree = base.model_dump(mode="python")
    elif isinstance(base, Mapping):
        tree = load_tree(BASELINE)
        apply_dotted(tree, dict(base))
        base_path = BASELINE
    else:
        base_path = Path(base if base is not None else BASELINE).resolve()
        tree = load_tree(base_path)
    flat_overrides = dict(overrides or {})
    if runs is not None:
        flat_overrides = {"sim.runs": runs, **flat_overrides}
    apply_dotted(tree, flat_overrides)
    _check_size(axes, zip_groups, None, origin)
    return SweepSpec(
        name=name,
        base=base_path,
        runs=runs,
        seed=0,
        overrides=flat_overrides,
        grid=axes,
        zips=zip_groups,
        sample=None,
        points=_validate(tree, [*_factors(axes, zip_groups, None, 0)], origin)[0],
    )


def sample_spec(
    base: Params | str | Path | None,
    sample: Sample,
    *,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    name: str = "sample",
) -> SweepSpec:
    """A sampled sweep built in Python, as a file's `sample:` block with no other axis gives (a `sobol` or `morris`
    design keeps its rows as `SweepSpec.design`): `base` a `Params` or a parameter file (None: the baseline),
    `overrides` (dotted) for every point, `seed` for the draws. What notebooks use for sensitivity analyses."""
    problems: list[str] = []
    checked = _sample(
        {
            "method": sample.method,
            "bounds": {k: list(v) for k, v in sample.bounds.items()},
            **(
                {"trajectories": sample.n, "levels": sample.levels}
                if sample.method == "morris"
                else {"n": sample.n}
            ),
        },
        problems,
    )
    if not _NAME.fullmatch(name):
        problems.append(f"name = {show_value(name)}: letters, digits, '.', '_' and '-'")
    origin = f"sweep {name}"
    if problems or checked is None:
        raise SweepError(problems, origin)
    base_path: Path | None = None
    if isinstance(base, Params):
        tree = base.model_dump(mode="python")
    else:
        base_path = Path(base if base is not None else BASELINE).resolve()
        tree = load_tree(base_path)
    flat_overrides = dict(overrides or {})
    apply_dotted(tree, flat_overrides)
    points, row_ids = _validate(tree, [*_factors({}, [], checked, seed)], origin)
    return SweepSpec(
        name=name,
        base=base_path,
        runs=None,
        seed=seed,
        overrides=flat_overrides,
        grid={},
        zips=[],
        sample=checked,
        points=points,
        design=_design(checked, seed, row_ids),
    )


def _design(sample: Sample | None, seed: int, row_ids: Sequence[str]) -> pd.DataFrame | None:
    """A design sample's rows (see `SweepSpec.design`); None for other samples."""
    if sample is None or sample.method not in DESIGN_METHODS:
        return None
    design = pd.DataFrame(design_matrix(sample, seed), columns=list(sample.bounds))
    design.insert(0, "point_id", list(row_ids))
    design.insert(0, "row", np.arange(len(design)))
    return design


def _listed(values: Any) -> Any:
    """Axis values as a list (a tuple or an array of them too); anything else is left for `_lists` to reject."""
    if isinstance(values, str | bytes | Mapping):
        return values
    if isinstance(values, np.ndarray):
        return values.tolist()
    if isinstance(values, Sequence):
        return list(values)
    return values


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def _mapping(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where} = {show_value(value)}: must be a mapping of dotted parameter names")
        return {}
    return {str(k): v for k, v in value.items()}


def _lists(axes: Mapping[str, Any], where: str, problems: list[str]) -> dict[str, list[Any]]:
    out = {}
    for name, values in axes.items():
        if not isinstance(values, list) or not values:
            problems.append(f"{where}.{name} = {show_value(values)}: must be a non-empty list of values")
        else:
            out[name] = values
    return out


def _zip_groups(value: Any, problems: list[str]) -> list[dict[str, list[Any]]]:
    groups = value if isinstance(value, list) else [value] if value is not None else []
    out = []
    for i, group in enumerate(groups):
        where = "zip" if not isinstance(value, list) else f"zip[{i}]"
        axes = _lists(_mapping(group, where, problems), where, problems)
        lengths = {name: len(v) for name, v in axes.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{n} ({k})" for n, k in lengths.items())
            problems.append(f"{where}: aligned lists must have equal lengths; got {shown}")
        elif axes:
            out.append(axes)
    return out


def _sample(value: Any, problems: list[str]) -> Sample | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(f"sample = {show_value(value)}: must be a mapping with method, n and bounds")
        return None
    method = value.get("method", "lhs")
    if method not in SAMPLE_METHODS:
        problems.append(f"sample.method = {show_value(method)}: must be one of {', '.join(SAMPLE_METHODS)}")
    known = {"method", "bounds", *(("trajectories", "levels") if method == "morris" else ("n",))}
    problems += [
        f"sample.{k}: unknown key for method {method!r} (known: {', '.join(sorted(known))})"
        for k in value
        if k not in known
    ]
    count = "trajectories" if method == "morris" else "n"
    n = value.get(count)
    least = 2 if method == "morris" else 1
    if not isinstance(n, int) or isinstance(n, bool) or n < least:
        problems.append(f"sample.{count} = {show_value(n)}: must be an integer >= {least}")
    elif n > MAX_POINTS:
        problems.append(
            f"sample.{count} = {show_value(n)}: must be an integer from {least} to {MAX_POINTS:,}"
        )
    elif method == "sobol" and n & (n - 1):
        problems.append(
            f"sample.n = {n}: must be a power of 2 for a sobol design (Sobol' sequences balance only there)"
        )
    levels = value.get("levels", 4)
    if method == "morris" and (
        not isinstance(levels, int) or isinstance(levels, bool) or levels < 2 or levels % 2
    ):
        problems.append(f"sample.levels = {show_value(levels)}: must be an even integer >= 2")
    bounds: dict[str, tuple[float, float]] = {}
    given = _mapping(value.get("bounds"), "sample.bounds", problems)
    for name, pair in given.items():
        numbers = isinstance(pair, list) and len(pair) == 2
        numbers = numbers and all(isinstance(x, int | float) and not isinstance(x, bool) for x in pair)
        if not numbers or not all(math.isfinite(x) for x in pair) or pair[0] > pair[1]:
            problems.append(
                f"sample.bounds.{name} = {show_value(pair)}: must be [low, high] finite numbers with low <= high"
            )
        else:
            bounds[name] = (pair[0], pair[1])
    if not given:
        problems.append("sample.bounds: needs at least one dotted name with [low, high]")
    if method in DESIGN_METHODS:
        problems += [
            f"sample.bounds.{name} = {show_value(list(pair))}: a {method} design needs low < high"
            for name, pair in bounds.items()
            if pair[0] == pair[1]
        ]
    if not isinstance(n, int) or isinstance(n, bool) or not isinstance(levels, int):
        return None
    return Sample(str(method), n, bounds, levels)


def _check_size(
    grid: Mapping[str, list[Any]], zips: Sequence[Mapping[str, list[Any]]], sample: Sample | None, origin: str
) -> None:
    """Raise `SweepError` if the axes expand to more than `MAX_POINTS` points (before expanding them)."""
    sizes = [len(v) for v in grid.values()] + [len(next(iter(g.values()))) for g in zips]
    sizes += [sample.n] if sample is not None else []
    count = math.prod(sizes)
    if count > MAX_POINTS:
        shown = " x ".join(f"{n:,}" for n in sizes)
        raise SweepError(
            [f"grid, zip and sample: {shown} = {count:,} points; a sweep may have at most {MAX_POINTS:,}"],
            origin,
        )


def _factors(
    grid: Mapping[str, list[Any]], zips: Sequence[Mapping[str, list[Any]]], sample: Sample | None, seed: int
) -> Iterator[dict[str, Any]]:
    factors: list[list[dict[str, Any]]] = [[{name: v} for v in values] for name, values in grid.items()]
    for group in zips:
        factors.append([dict(zip(group, row, strict=True)) for row in zip(*group.values(), strict=True)])
    if sample is not None:
        factors.append(sample_rows(sample, seed))
    for combo in itertools.product(*factors):
        row: dict[str, Any] = {}
        for part in combo:
            row.update(part)
        yield row


def _validate(
    tree: Mapping[str, Any], rows: Sequence[dict[str, Any]], origin: str
) -> tuple[tuple[SweepPoint, ...], list[str]]:
    """The distinct valid points of `rows` in order, and the point id of every row (several rows may share one)."""
    import copy

    from aztec_econ.simulation import price_file_problems

    problems: list[str] = []
    points: list[SweepPoint] = []
    row_ids: list[str] = []
    seen: set[str] = set()
    for index, values in enumerate(rows):
        point_tree = copy.deepcopy(dict(tree))
        try:
            apply_dotted(point_tree, values)
            params = parse_params(point_tree)
            files = price_file_problems(params)  # input files are checked here: parameters are plain data
            if files:
                raise ParamsError(files)
        except ParamsError as err:
            label = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "(base)"
            problems += [f"point {index} ({label}): {p}" for p in err.problems]
            continue
        point = SweepPoint(index=len(points), values=values, params=params)
        row_ids.append(point.id)
        if point.id not in seen:
            seen.add(point.id)
            points.append(point)
    if problems:
        raise SweepError(problems, origin)
    return tuple(points), row_ids


def sweep_files(directory: str | Path = SWEEPS_DIR) -> list[Path]:
    """The sweep files of a directory, sorted."""
    return sorted(Path(directory).glob("*.yaml"))
