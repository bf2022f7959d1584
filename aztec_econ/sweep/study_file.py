"""Optimisation files (`params/studies/*.yaml`), read and validated into the `StudySpec` that a mechanism search
(`aztec_econ.sweep.optimize`) runs.

An optimisation file names a base parameter file, the decision variables, the objectives
and the constraints:

```yaml
name: liveness_vs_issuance           # letters, digits, '.', '_', '-'
base: ../baseline.yaml               # parameter file, relative to this file
runs: 5                              # Monte Carlo runs per trial (sets sim.runs)
overrides: {sim.slots: 4320}         # dotted overrides for every trial (optional)
sampler: nsga2                       # nsga2 (genetic, multi-objective), tpe, or random (default: nsga2)
seed: 1                              # the sampler's seed (default 0)
population: 10                       # nsga2: trials per generation (default 10)
batch: 10                            # trials asked and evaluated together (default: population for nsga2, else 8)
variables:                           # the decision variables
  protocol.block_reward: [50, 200]                      # two floats: a float in [low, high]
  protocol.proposal_phase_l1_blocks: [3, 10]            # two ints: an integer in [low, high]
  protocol.prover_bond: {low: 100, high: 10000, log: true}
  protocol.fee_mechanism: {choices: [first_price, base_fee_burn]}
objectives:                          # one or more
  - maximize: share_happy
  - minimize: issuance_per_year
constraints:                         # optional; "KPI OP number", OP one of <, <=, >, >=
  - apr_sequencers_ci_low >= 0.05    # KPI alone: its mean; _ci_low / _ci_high: its 95% confidence bounds
  - share_skipped <= 0.002
```

Every problem of a file is reported at once (`OptimizeError`); the keys it shares with a sweep file (`name`, `base`,
`runs`) are checked as `aztec_econ.sweep.spec` checks them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from aztec_econ.params import (
    Params,
    ParamsError,
    flatten,
    parse_params,
    show_value,
)
from aztec_econ.sweep.spec import SweepError, base_tree, check_common_keys

if TYPE_CHECKING:
    import optuna

SAMPLERS = ("nsga2", "tpe", "random")
_KEYS = {
    "name",
    "description",
    "base",
    "runs",
    "overrides",
    "sampler",
    "seed",
    "population",
    "batch",
    "variables",
    "objectives",
    "constraints",
}
_CONDITION = re.compile(r"^\s*([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*(\S+)\s*$")
STAT_SUFFIXES = ("_ci_low", "_ci_high", "_mean")
"""Suffixes of a KPI's summary columns that an objective or a constraint may name."""


class OptimizeError(SweepError):
    """An invalid optimisation file, or a study directory that does not belong to it; each line says where."""


@dataclass(frozen=True)
class Variable:
    """A decision variable: a float or int in [low, high] (`log`: sampled on a log scale) or one of `choices`."""

    name: str
    kind: str  # "float", "int" or "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)


@dataclass(frozen=True)
class Objective:
    """Optimise the summary column `column` (`<kpi>_mean`, `_ci_low` or `_ci_high`) in `direction`."""

    kpi: str
    column: str
    direction: str  # "maximize" or "minimize"

    @property
    def label(self) -> str:
        return f"{self.direction} {self.column.removesuffix('_mean')}"


@dataclass(frozen=True)
class Constraint:
    """`column OP bound` on a summary column; `value(x)` is <= 0 where it holds (Optuna's convention)."""

    text: str
    kpi: str
    column: str
    op: str
    bound: float

    @property
    def upper(self) -> bool:
        return self.op.startswith("<")

    def value(self, x: float) -> float:
        """How far `x` misses the constraint (<= 0: satisfied); +inf where the KPI is undefined."""
        if not math.isfinite(x):
            return math.inf
        return x - self.bound if self.upper else self.bound - x

    def holds(self, x: float) -> bool:
        return self.value(x) <= 0


@dataclass(frozen=True)
class StudySpec:
    """A parsed optimisation file."""

    name: str
    base_params: Params
    variables: tuple[Variable, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    sampler: str
    seed: int
    population: int
    batch: int
    path: Path | None = None
    description: str = ""

    def config(self) -> dict[str, Any]:
        """What identifies the study: everything that changes its trials (not the trial count)."""
        return {
            "name": self.name,
            "base_params": hashlib.sha256(self.base_params.to_json().encode()).hexdigest(),
            "variables": [asdict(v) | {"choices": list(v.choices)} for v in self.variables],
            "objectives": [asdict(o) for o in self.objectives],
            "constraints": [c.text for c in self.constraints],
            "sampler": self.sampler,
            "seed": self.seed,
            "population": self.population,
            "batch": self.batch,
        }


def _column(name: str, problems: list[str], where: str) -> tuple[str, str] | None:
    """(kpi, summary column) of a KPI reference: `kpi` (its mean), `kpi_mean`, `kpi_ci_low`, `kpi_ci_high`."""
    from aztec_econ.analysis.kpis import KPIS

    known = {k.name for k in KPIS}
    for suffix in STAT_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in known:
            return name.removesuffix(suffix), name
    if name in known:
        return name, f"{name}_mean"
    problems.append(
        f"{where} = {show_value(name)}: not a KPI (a name of `aztec-econ docs outputs`, optionally with "
        "_mean, _ci_low or _ci_high)"
    )
    return None


def load_study(path: str | Path, overrides: Mapping[str, Any] | None = None) -> StudySpec:
    """Read and validate an optimisation file (see the module docstring). `overrides` (dotted names) apply to every
    trial after the file's own, e.g. `{"sim.slots": 288}` for a quick look (they change the study's
    configuration: a study directory refuses to resume with other overrides)."""
    path = Path(path).resolve()
    origin = f"optimisation file {path}"
    if not path.is_file():
        raise OptimizeError([f"file {path}: does not exist"], origin)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise OptimizeError([f"file {path}: not valid YAML ({err})"], origin) from err
    if not isinstance(data, Mapping):
        raise OptimizeError([f"the top level must be a mapping, not {type(data).__name__}"], origin)
    if overrides:
        own = data.get("overrides")
        own = dict(flatten(dict(own))) if isinstance(own, Mapping) else {}
        data = {**data, "overrides": {**own, **overrides}}
    return parse_study(data, path.parent, origin=origin, path=path)


def _integer(data: Mapping[str, Any], key: str, default: int | None, least: int, problems: list[str]) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        problems.append(f"{key} = {show_value(value)}: must be an integer >= {least}")
        return least
    return value


def parse_study(
    data: Mapping[str, Any], root: Path, *, origin: str = "optimisation", path: Path | None = None
) -> StudySpec:
    """Validate an optimisation mapping whose `base` is relative to `root`; every problem is reported at once."""
    problems: list[str] = []
    name, base, runs = check_common_keys(data, _KEYS, "this file", problems)
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        problems.append(f"overrides = {show_value(overrides)}: must be a mapping of dotted parameter names")
        overrides = {}
    sampler = data.get("sampler", "nsga2")
    if sampler not in SAMPLERS:
        problems.append(f"sampler = {show_value(sampler)}: must be one of {', '.join(SAMPLERS)}")
    seed = _integer(data, "seed", 0, 0, problems)
    population = _integer(data, "population", 10, 2, problems)
    batch = _integer(data, "batch", population if sampler == "nsga2" else 8, 1, problems)
    variables = _variables(data.get("variables"), problems)
    objectives = _objectives(data.get("objectives"), problems)
    constraints = _constraints(data.get("constraints"), problems)
    if problems:
        raise OptimizeError(problems, origin)
    assert isinstance(name, str) and isinstance(base, str)
    _, tree, _ = base_tree(root, base, overrides, runs)
    try:
        base_params = parse_params(tree)
    except ParamsError as err:
        raise OptimizeError([f"base with overrides: {p}" for p in err.problems], origin) from err
    problems += _check_variables(base_params, variables)
    if problems:
        raise OptimizeError(problems, origin)
    return StudySpec(
        name=name,
        base_params=base_params,
        variables=tuple(variables),
        objectives=tuple(objectives),
        constraints=tuple(constraints),
        sampler=str(sampler),
        seed=seed,
        population=population,
        batch=batch,
        path=path,
        description=str(data.get("description", "")),
    )


def _variables(value: Any, problems: list[str]) -> list[Variable]:
    if not isinstance(value, Mapping) or not value:
        problems.append(f"variables = {show_value(value)}: required; a mapping of dotted names to bounds")
        return []
    out = []
    for name, spec in value.items():
        where = f"variables.{name}"
        if isinstance(spec, list):
            spec = {"low": spec[0], "high": spec[1]} if len(spec) == 2 else {"bad": spec}
        if not isinstance(spec, Mapping):
            problems.append(f"{where} = {show_value(spec)}: [low, high], {{low, high, log}} or {{choices}}")
            continue
        unknown = set(spec) - {"low", "high", "log", "choices"}
        if unknown:
            problems.append(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} (known: low, high, log, choices)"
            )
            continue
        if "choices" in spec:
            choices = spec["choices"]
            if not isinstance(choices, list) or not choices or set(spec) != {"choices"}:
                problems.append(f"{where}.choices = {show_value(choices)}: a non-empty list, alone")
                continue
            out.append(Variable(str(name), "choice", choices=tuple(choices)))
            continue
        low, high, log = spec.get("low"), spec.get("high"), spec.get("log", False)
        if not (isinstance(low, int | float) and isinstance(high, int | float)) or isinstance(low, bool):
            low = high = None
        if low is None or high is None or isinstance(high, bool) or low >= high:
            problems.append(
                f"{where} = {show_value(dict(spec))}: low and high must be numbers with low < high"
            )
            continue
        if not isinstance(log, bool) or (log and low <= 0):
            problems.append(f"{where}.log = {show_value(log)}: true or false; a log scale needs low > 0")
            continue
        kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
        out.append(Variable(str(name), kind, float(low), float(high), log))
    return out


def _objectives(value: Any, problems: list[str]) -> list[Objective]:
    items = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    if not items:
        problems.append(
            f"objectives = {show_value(value)}: required; a list of {{maximize: KPI}} or {{minimize: KPI}}"
        )
    out = []
    for i, item in enumerate(items):
        where = f"objectives[{i}]"
        if (
            not isinstance(item, Mapping)
            or len(item) != 1
            or next(iter(item)) not in ("maximize", "minimize")
        ):
            problems.append(f"{where} = {show_value(item)}: must be {{maximize: KPI}} or {{minimize: KPI}}")
            continue
        direction, name = next(iter(item.items()))
        found = _column(str(name), problems, f"{where}.{direction}")
        if found:
            out.append(Objective(found[0], found[1], direction))
    if len({o.column for o in out}) < len(out):
        problems.append("objectives: each KPI column may appear once")
    return out


def _constraints(value: Any, problems: list[str]) -> list[Constraint]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"constraints = {show_value(value)}: a list of 'KPI OP number'")
        return []
    out = []
    for i, text in enumerate(value):
        where = f"constraints[{i}]"
        match = _CONDITION.match(str(text)) if isinstance(text, str) else None
        if not match:
            problems.append(
                f"{where} = {show_value(text)}: must be 'KPI OP number' with OP one of <, <=, >, >="
            )
            continue
        name, op, bound = match.groups()
        try:
            number = float(bound)
        except ValueError:
            problems.append(f"{where} = {show_value(text)}: {bound!r} is not a number")
            continue
        found = _column(name, problems, where)
        if found:
            out.append(Constraint(str(text).strip(), found[0], found[1], op, number))
    return out


def _check_variables(base: Params, variables: Sequence[Variable]) -> list[str]:
    """Each variable names a parameter and its bounds (or choices) are valid values of it, at the base."""
    problems = []
    for v in variables:
        values = list(v.choices) if v.kind == "choice" else [v.low, v.high]
        if v.kind == "int":
            values = [int(x) for x in values if x is not None]
        for x in values:
            try:
                base.with_overrides({v.name: x})
            except ParamsError as err:
                problems += [f"variables.{v.name} = {show_value(x)}: {p}" for p in err.problems]
            except (KeyError, TypeError, ValueError) as err:
                problems.append(f"variables.{v.name}: not a parameter ({err})")
                break
    return problems
