"""Mechanism search: choose protocol parameters that optimise KPIs under KPI constraints, with Optuna.

The study is an optimisation file (`params/studies/*.yaml`: a base parameter file, the decision variables, the
objectives and the constraints; its format and validation are `aztec_econ.sweep.study_file`'s).

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

**Outputs** (each written atomically after every batch; `aztec_econ.sweep.study_outputs`): `trials.parquet` /
`trials.csv` (every trial), `pareto.parquet` / `pareto.csv` (the feasible, non-dominated trials) and `best.json`.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from aztec_econ.params import ParamsError
from aztec_econ.sweep.executors import Executor
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import grid_spec, point_id
from aztec_econ.sweep.study_file import (
    SAMPLERS,
    Constraint,
    Objective,
    OptimizeError,
    StudySpec,
    Variable,
    load_study,
    parse_study,
)
from aztec_econ.sweep.study_outputs import (
    EVALUATIONS,
    OptimizeResult,
    best_record,
    describe,
    pareto_mask,
    trials_table,
    write_outputs,
)

__all__ = [  # the names this module had before the file format and the outputs moved out stay importable here
    "EVALUATIONS",
    "SAMPLERS",
    "STORAGE",
    "Constraint",
    "Objective",
    "OptimizeError",
    "OptimizeResult",
    "StudySpec",
    "Variable",
    "best_record",
    "cmd_optimize",
    "describe",
    "load_study",
    "make_sampler",
    "open_study",
    "optimize",
    "pareto_mask",
    "parse_study",
    "trial_seed",
    "trials_table",
]

STORAGE = "study.sqlite3"
_BATCH_END = "aztec_econ:batch_end"
_CONFIG = "aztec_econ:config"


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
                write_outputs(spec, study, root)
    result = write_outputs(spec, study, root)
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
