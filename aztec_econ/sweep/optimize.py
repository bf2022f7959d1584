"""Mechanism search: choose protocol parameters that optimise KPIs under KPI constraints, with Optuna.

An optimisation file (`params/studies/*.yaml`) names a base parameter file, the decision variables, the objectives
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

`aztec-econ optimize FILE --trials N --out DIR [--executor local|dask|inline --workers W --scheduler ADDR]` runs the
study until it holds N trials. Trials are asked in batches of `batch`: every trial of a batch is sampled from the
trials completed before it (Optuna's ask-and-tell interface), the batch is evaluated through the sweep executors
(`aztec_econ.sweep.runner.run_sweep` into `DIR/evaluations/`, one point per trial, a pool or Dask cluster started
once), then its results are told in trial order. Each trial's sampler is seeded from (seed, trial number). So
the trials of a study depend only on the file and N: not on the executor or the worker count, and not on where a
killed run stopped.

**Common random numbers.** Every trial keeps the base's `sim.seed`: all trials see the same draws, so differences
between trials come from their parameters, not from Monte Carlo noise (noise still biases each trial's estimate
alike; `runs` and the `_ci_*` bounds control it).

**Resume and extend.** The study lives in `DIR/study.sqlite3` (Optuna's RDB storage). A killed run (even by SIGKILL)
is rerun with the same command: it finishes the batch in flight (trials whose point finished are not recomputed;
`DIR/evaluations/` is a sweep directory) and continues. A finished study is extended by asking for more trials
(`--trials 100` after 50). A study directory refuses a file whose configuration changed.

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

import argparse
import hashlib
import io
import json
import math
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd
import yaml

from aztec_econ.files import atomic_write
from aztec_econ.params import (
    Params,
    ParamsError,
    flatten,
    parse_params,
    show_value,
)
from aztec_econ.sweep.executors import EXECUTORS, Executor
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import SweepError, base_tree, check_common_keys, grid_spec, point_id
from aztec_econ.sweep.store import parquet_bytes

if TYPE_CHECKING:
    import optuna

STUDIES_DIR_NAME = "studies"
STORAGE = "study.sqlite3"
EVALUATIONS = "evaluations"
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
_STATS = ("_ci_low", "_ci_high", "_mean")
_BATCH_END = "aztec_econ:batch_end"
_CONFIG = "aztec_econ:config"


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
    for suffix in _STATS:
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


# ---------------------------------------------------------------------------------------------------------------------
# The study


def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def trial_seed(seed: int, number: int) -> int:
    """The sampler seed of trial `number`: derived from (study seed, trial number) only."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def make_sampler(spec: StudySpec, number: int) -> Any:
    """A fresh sampler for trial `number`, seeded with `trial_seed` (samplers read the study, not their past)."""
    samplers = _optuna().samplers
    seed = trial_seed(spec.seed, number)
    if spec.sampler == "nsga2":
        return samplers.NSGAIISampler(population_size=spec.population, seed=seed)
    if spec.sampler == "tpe":
        return samplers.TPESampler(seed=seed)
    return samplers.RandomSampler(seed=seed)


def open_study(spec: StudySpec, out_dir: str | Path) -> Any:
    """Create the study in `OUT/study.sqlite3`, or load it there; refuses one of another configuration."""
    optuna = _optuna()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{(root / STORAGE).resolve()}"
    config = json.dumps(spec.config(), sort_keys=True, default=str)
    names = (
        [s.study_name for s in optuna.get_all_study_summaries(storage)] if (root / STORAGE).exists() else []
    )
    if names and spec.name not in names:
        raise OptimizeError(
            [f"{root} holds the study {', '.join(map(repr, names))}, not {spec.name!r}: use another --out"],
            f"study {spec.name}",
        )
    study = optuna.create_study(
        study_name=spec.name,
        storage=storage,
        directions=[o.direction for o in spec.objectives],
        sampler=make_sampler(spec, 0),
        load_if_exists=True,
    )
    stored = study.user_attrs.get(_CONFIG)
    if stored is None:
        study.set_user_attr(_CONFIG, config)
    elif stored != config:
        before, now = json.loads(stored), json.loads(config)
        changed = sorted(k for k in now if before.get(k) != now.get(k))
        raise OptimizeError(
            [
                f"{root} holds study {spec.name!r} of a different configuration (changed: {', '.join(changed)}); "
                "use a new --out, or restore the file"
            ],
            f"study {spec.name}",
        )
    return study


@dataclass
class OptimizeResult:
    """What a run of `optimize` left: the trials table, the Pareto front and `best` (as in `best.json`)."""

    out_dir: Path
    trials: pd.DataFrame
    pareto: pd.DataFrame
    best: dict[str, Any]
    evaluated: int = 0
    seconds: float = 0.0


def _trial_values(spec: StudySpec, trial: Any) -> dict[str, Any]:
    return {v.name: trial.params[v.name] for v in spec.variables}


def optimize(
    spec: StudySpec | str | Path,
    trials: int,
    out_dir: str | Path,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    stream: TextIO | None = None,
) -> OptimizeResult:
    """Run (or resume, or extend) the study of `spec` in `out_dir` until it holds `trials` trials; see the module
    docstring. Messages go to `stream` (default: stderr)."""
    stream = stream or sys.stderr
    spec = spec if isinstance(spec, StudySpec) else load_study(spec)
    if trials < 1:
        raise ValueError(f"trials = {trials}: must be >= 1")
    root = Path(out_dir)
    study = open_study(spec, root)
    optuna = _optuna()
    running = optuna.trial.TrialState.RUNNING
    start = time.perf_counter()
    evaluated = 0
    existing = study.get_trials(deepcopy=False)
    in_flight = any(t.state == running for t in existing)
    print(
        f"study {spec.name}: {len(existing)} trials in {root / STORAGE}"
        + (" (a batch in flight)" if in_flight else "")
        + f", target {trials}",
        file=stream,
        flush=True,
    )
    if in_flight or len(existing) < trials:  # else finished: no pool to start
        with Executor(executor, workers, scheduler) as pool:
            while True:
                existing = study.get_trials(deepcopy=False)
                end = study.user_attrs.get(_BATCH_END)
                in_flight = any(t.state == running for t in existing)
                if end is None or (len(existing) >= end and not in_flight):
                    if len(existing) >= trials:
                        break
                    end = min(len(existing) + spec.batch, trials)
                    study.set_user_attr(_BATCH_END, end)
                batch = _ask_batch(spec, study, int(end))
                evaluated += _evaluate_batch(spec, study, batch, root, pool, stream)
                _write_outputs(spec, study, root)
    result = _write_outputs(spec, study, root)
    result.evaluated = evaluated
    result.seconds = time.perf_counter() - start
    return result


def _ask_batch(spec: StudySpec, study: Any, end: int) -> list[Any]:
    """The trials of the batch in flight, asked up to trial number `end` (each with its own seeded sampler), with
    every variable suggested; trials a killed run left without all their parameters are completed."""
    optuna = _optuna()
    running = optuna.trial.TrialState.RUNNING
    batch = []
    for frozen in study.get_trials(deepcopy=False, states=(running,)):
        study.sampler = make_sampler(spec, frozen.number)
        trial = optuna.trial.Trial(study, frozen._trial_id)
        for v in spec.variables:  # stored values come back as they are; missing ones are sampled
            v.suggest(trial)
        batch.append(trial)
    while len(study.get_trials(deepcopy=False)) < end:
        study.sampler = make_sampler(spec, len(study.get_trials(deepcopy=False)))
        trial = study.ask()
        for v in spec.variables:
            v.suggest(trial)
        batch.append(trial)
    return sorted(batch, key=lambda t: t.number)


def _evaluate_batch(
    spec: StudySpec, study: Any, batch: list[Any], root: Path, pool: Executor, stream: TextIO
) -> int:
    """Evaluate a batch's trials as sweep points (the sweep resumes points already done), then tell every result in
    trial order; returns how many points were computed now."""
    if not batch:
        return 0
    optuna = _optuna()
    fail = optuna.trial.TrialState.FAIL
    started = time.perf_counter()
    ids: dict[int, str | None] = {}
    errors: dict[int, str] = {}
    for trial in batch:
        try:
            ids[trial.number] = point_id(spec.base_params.with_overrides(_trial_values(spec, trial)))
        except ParamsError as err:
            ids[trial.number] = None
            errors[trial.number] = "invalid parameters: " + "; ".join(err.problems)
    summary, computed, failures = _evaluate(spec, study, root, pool)
    for trial in batch:
        pid = ids[trial.number]
        trial.set_user_attr("point_id", pid)
        if pid is not None and pid in failures:
            errors[trial.number] = failures[pid]
        if trial.number in errors:
            trial.set_user_attr("error", errors[trial.number])
            continue
        row = summary.loc[pid]
        values = [float(row.get(o.column, math.nan)) for o in spec.objectives]
        undefined = [o.column for o, x in zip(spec.objectives, values, strict=True) if not math.isfinite(x)]
        if undefined:
            errors[trial.number] = f"objective undefined (NaN) at this point: {', '.join(undefined)}"
            trial.set_user_attr("error", errors[trial.number])
            continue
        already = trial.constraints  # a resumed trial may have been given its constraints before the kill
        for c in spec.constraints:
            if c.text not in already:
                trial.set_constraint(c.text, c.value(float(row.get(c.column, math.nan))))
    for trial in batch:
        if trial.number in errors:
            study.tell(trial, state=fail)
        else:
            row = summary.loc[ids[trial.number]]
            study.tell(trial, [float(row[o.column]) for o in spec.objectives])
    print(
        f"trials {batch[0].number}-{batch[-1].number}: {computed} point(s) computed, {len(errors)} failed, "
        f"{time.perf_counter() - started:.1f} s",
        file=stream,
        flush=True,
    )
    return computed


def _evaluate(
    spec: StudySpec, study: Any, root: Path, pool: Executor
) -> tuple[pd.DataFrame, int, dict[str, str]]:
    """Run every valid trial's point so far as one sweep (done points are skipped) and return its summary by point
    id, the number of points computed now, and the errors of failed points."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        if set(t.params) >= {v.name for v in spec.variables}:
            values = _trial_values(spec, t)
            try:
                spec.base_params.with_overrides(values)
            except ParamsError:
                continue
            rows.append(values)
    if not rows:
        return pd.DataFrame(), 0, {}
    sweep = grid_spec(spec.base_params, points=rows, name=spec.name)
    result = run_sweep(
        sweep, root / EVALUATIONS, pool=pool, progress=False, probe=False, stream=io.StringIO()
    )
    failures = {r.id: (r.error or "failed").strip() for r in result.records if r.status == "failed"}
    summary = result.summary.set_index("point_id") if len(result.summary) else pd.DataFrame()
    return summary, result.done + result.failed, failures


# ---------------------------------------------------------------------------------------------------------------------
# Outputs


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
    kpis = kpis[["point_id", *[c for c in kpis.columns if c.endswith(_STATS)]]]
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


def _write_outputs(spec: StudySpec, study: Any, root: Path) -> OptimizeResult:
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


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def cmd_optimize(args: argparse.Namespace) -> int:
    """`aztec-econ optimize FILE --trials N --out DIR`; exit 2 for an invalid file or a foreign study directory."""
    if args.scheduler and args.executor != "dask":
        print("error: --scheduler needs --executor dask", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print(f"error: --workers {args.workers}: must be >= 1", file=sys.stderr)
        return 2
    if args.workers not in (None, 1) and args.executor == "inline":
        print(
            "error: --workers needs --executor local or dask (inline runs in this process)", file=sys.stderr
        )
        return 2
    if args.trials < 1:
        print(f"error: --trials {args.trials}: must be >= 1", file=sys.stderr)
        return 2
    from aztec_econ.params import parse_override

    spec = load_study(args.file, dict(parse_override(p) for p in args.overrides or ()))
    result = optimize(spec, args.trials, args.out, args.executor, args.workers, args.scheduler)
    print(describe(spec, result))
    return 0


def register_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `optimize` subcommand to the `aztec-econ` parser."""
    opt = subparsers.add_parser(
        "optimize", help="search protocol parameters for the best KPIs under constraints (Optuna)"
    )
    opt.add_argument("file", type=Path, help=f"optimisation file (params/{STUDIES_DIR_NAME}/*.yaml)")
    opt.add_argument(
        "--trials",
        type=int,
        required=True,
        help="trials the study should hold (more than it has: extends it)",
    )
    opt.add_argument("--out", type=Path, required=True, help="study directory (created; reruns resume)")
    opt.add_argument("--executor", choices=EXECUTORS, default="local", help="as for `aztec-econ sweep`")
    opt.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    opt.add_argument("--workers", type=int, help="worker processes (default: the core count)")
    opt.add_argument(
        "--set",
        dest="overrides",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter of every trial (repeatable; a new configuration: use a new --out)",
    )
    opt.set_defaults(handler=cmd_optimize)
    return opt
