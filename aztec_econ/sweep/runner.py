"""Batch sweeps: every point of a sweep file x its Monte Carlo runs, on a local process pool, a Dask cluster, or in
this process (`executor="inline"`, for a few short points: no pool to start).

`run_sweep(spec, out_dir)` validates every point first (`aztec_econ.sweep.spec`), prints a cost estimate (points x
runs x slots, projected time from a short probe simulation), then runs the points that are not done yet with a
progress bar. Workers return their results; this process writes every file atomically (`aztec_econ.sweep.store`)
and rewrites the manifest as points finish. A failed point is recorded with its error and never stops the others.
Running the same sweep again resumes: done points whose id (a hash of the resolved parameters) is unchanged are
skipped, failed and new points run. Results depend only on the parameters: not on the executor or worker count.

What a point computes is a `PointKind` (the extension point of `run_sweep`): by default a simulation of the point's
parameters and its KPIs (`SIMULATION`). The publishing layer supplies the notebook kind
(`aztec_econ.publish.notebook_sweep`: papermill executes a notebook per point, its glued KPIs fill the summary and
each point's HTML report plus a sweep summary report go to `OUT/reports/`), and with it the `--notebook` option of
`aztec-econ sweep`; this module never imports `publish`.

`sweep_table(spec, kpis, expected=..., extra=...)` is the in-memory form notebooks use: it runs a sweep built in
Python (`aztec_econ.sweep.spec.grid_spec`) in this process (`executor="inline"`) into a temporary directory and
returns one row per point with KPI means, confidence half-widths, closed forms at the point and point-level extras.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from aztec_econ.sweep.executors import Executor, ExecutorError, Task, default_workers
from aztec_econ.sweep.spec import SweepError, SweepPoint, SweepSpec, load_sweep
from aztec_econ.sweep.store import PointRecord, Store
from aztec_econ.sweep.tasks import PointOutcome, simulate_point

if TYPE_CHECKING:
    from aztec_econ.params import Params
    from aztec_econ.simulation import Trajectories

PROBE_SLOTS = 288
"""Slots of the probe simulation behind the time estimate (two days of ten-minute slots)."""
PROBE_RUNS = 2
MANIFEST_INTERVAL_S = 1.0
"""Least time between manifest rewrites while points finish [seconds]; per-point files mark completion, so a
manifest that lags loses nothing on a kill."""


@dataclass
class SweepResult:
    """What a sweep did: counts of points computed now (`done`), already done (`skipped`) and `failed`."""

    out_dir: Path
    done: int
    failed: int
    skipped: int
    summary: pd.DataFrame
    records: list[PointRecord]

    @property
    def ok(self) -> bool:
        return self.failed == 0


TaskCall = tuple[Callable[..., Any], tuple[Any, ...]]
"""A task's function and its arguments (`aztec_econ.sweep.executors.Task` without the key)."""


def simulation_task(spec: SweepSpec, point: SweepPoint) -> TaskCall:
    """The task of a simulation point: `simulate_point` on the point's canonical parameter JSON."""
    return simulate_point, (point.params.to_json(),)


@dataclass(frozen=True)
class PointKind:
    """What a sweep computes per point and what it does around that: the extension point of `run_sweep`.

    - `name`: recorded as every point's `kind` in the manifest; a rerun reuses only done points of the same kind
      (say, a notebook sweep names the notebook and a hash of its content);
    - `task(spec, point)`: the function and arguments a worker runs for the point, returning an
      `aztec_econ.sweep.tasks.PointOutcome`. For a pool or Dask the function must be an importable module-level
      function (workers unpickle it by reference) and its arguments picklable; the inline executor calls it as is;
    - `after_point(root, spec, record, outcome)`: runs in this process when a point's task returned an outcome,
      before its outputs are written (`record` already holds its timing and worker). It returns None, or an error
      text that fails the point (a hook that raises fails the point with its traceback), never the sweep;
    - `after_sweep(root, spec, records, summary)`: runs once the manifest and the summary are written;
    - `header`: entries of the manifest's header naming the kind's inputs (`notebook`: None for simulations);
    - `probe`: whether a short simulation predicts a point's time (the up-front projection); False for kinds whose
      points do much more than simulate once (a notebook), which are projected from their first finished point.
    """

    name: str = "simulation"
    task: Callable[[SweepSpec, SweepPoint], TaskCall] = simulation_task
    after_point: Callable[[Path, SweepSpec, PointRecord, PointOutcome], str | None] | None = None
    after_sweep: Callable[[Path, SweepSpec, list[PointRecord], pd.DataFrame], None] | None = None
    header: Mapping[str, Any] = field(default_factory=lambda: {"notebook": None})
    probe: bool = True


SIMULATION = PointKind()
"""The default kind: simulate each point's parameters and compute its KPIs per run and over runs."""


def simulation_kind(extra: Callable[[Trajectories], Mapping[str, Any]] | None = None) -> PointKind:
    """Simulation points; with `extra`, a function of a point's `Trajectories` returning point-level values (e.g.
    `aztec_econ.analysis.expectations.vote_outcomes`, pooled over runs) that runs on the worker after the simulation;
    its values are kept in the point's manifest record (`extra`). On a pool or Dask, `extra` must be an importable
    module-level function (it travels by reference); the inline executor takes any callable."""
    if extra is None:
        return SIMULATION

    def task(spec: SweepSpec, point: SweepPoint) -> TaskCall:
        return simulate_point, (point.params.to_json(), extra)

    label = f"{getattr(extra, '__module__', '')}.{getattr(extra, '__qualname__', type(extra).__name__)}"
    return PointKind(name=f"simulation+extra:{label}", task=task)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _records(spec: SweepSpec, store: Store, kind: str) -> list[PointRecord]:
    """Manifest records for the spec's points, carrying over what an earlier run of the same kind finished."""
    earlier = {p["id"]: p for p in store.read_manifest().get("points", [])}
    records = []
    for point in spec.points:
        record = PointRecord(point.id, point.index, point.values, point.params.flat(), kind=kind)
        prev = earlier.get(point.id, {})
        if store.is_done(point.id) and prev.get("kind", kind) == kind:
            record.status = "done"
            for name in ("duration_s", "finished", "worker"):
                setattr(record, name, prev.get(name))
            record.extra = dict(prev.get("extra") or {})
        records.append(record)
    return records


def estimate(
    spec: SweepSpec, points: list[SweepPoint], workers: int, stream: TextIO, probe: bool = True
) -> float:
    """Print the cost of `points` (points x runs x slots) and, with `probe`, the projected wall time from a short
    simulation of the first point; returns the projected time [seconds] (0 without a probe)."""
    slot_runs = sum(p.params.sim.runs * p.params.sim.slots for p in points)
    first = points[0].params if points else None
    shape = f"{first.sim.runs} runs x {first.sim.slots:,} slots" if first else "-"
    line = f"cost: {len(points)} points to run x {shape} = {slot_runs:,} slot-runs"
    projected = 0.0
    rate = _probe_rate(points[:3]) if probe else None
    if rate is not None:
        projected = slot_runs / rate / max(1, min(workers, len(points)))
        line += f"; probe {rate:,.0f} slot-runs/s per worker -> {_about(projected)} on {workers} workers"
    elif probe and points:
        line += "; the probe simulation failed, no time projection"
    print(line, file=stream, flush=True)
    return projected


def _probe_rate(points: list[SweepPoint]) -> float | None:
    """Slot-runs per second of a short simulation of the first of `points` whose probe succeeds (None: all fail)."""
    from aztec_econ.simulation import simulate

    for point in points:
        p = point.params
        small = p.with_overrides(
            {"sim.slots": min(PROBE_SLOTS, p.sim.slots), "sim.runs": min(PROBE_RUNS, p.sim.runs)}
        )
        start = time.perf_counter()
        try:
            simulate(small)
        except Exception:  # the point itself will fail and say why; try the next one
            continue
        return small.sim.slots * small.sim.runs / (time.perf_counter() - start)
    return None


def _about(seconds: float) -> str:
    """ "about 3 min", or "under 1 s" (never "about under 1 s")."""
    text = _duration(seconds)
    return text if text.startswith("under") else f"about {text}"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under 1 s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _task(kind: PointKind, spec: SweepSpec, point: SweepPoint) -> Task:
    function, args = kind.task(spec, point)
    return point.id, function, args


def run_sweep(
    spec: SweepSpec | str | Path,
    out_dir: str | Path,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    kind: PointKind = SIMULATION,
    *,
    progress: bool = True,
    probe: bool = True,
    stream: TextIO | None = None,
    pool: Executor | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into `out_dir`; see the module docstring. `workers` defaults to the core count
    (local) or the cluster's threads (dask with `scheduler`). `kind` says what each point computes (default: a
    simulation). Messages go to `stream` (default: stderr).

    Before anything is written: the output directory is checked (`Store.check`: writable, not a file, not another
    sweep's), the points to run must fit in memory on this machine (`memory_problems`, for as many at once as there
    are local workers) and the executor must start (a Dask scheduler must answer). Then the directory's lock is
    taken (`StoreError` if another sweep holds it). Ctrl-C stops the workers, writes the manifest and raises
    `SweepInterrupted`; a point whose outputs cannot be written fails with that error and the others go on.

    `pool`: an executor already entered, used instead of starting one (a caller that runs several sweeps in a row,
    such as `aztec_econ.sweep.optimize`, starts its pool once; `executor`, `workers` and `scheduler` are then
    ignored)."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    store = Store(out_dir)
    store.check(spec.name)
    records = _records(spec, store, kind.name)
    todo_ids = {r.id for r in records if r.status != "done"}
    if todo_ids and executor != "dask" and pool is None:
        _check_memory(spec, todo_ids, 1 if executor == "inline" else workers or default_workers())
    with contextlib.ExitStack() as stack:
        if pool is None and todo_ids:
            pool = stack.enter_context(Executor(executor, workers, scheduler))
        store.open(spec.name)
        stack.callback(store.close)
        records = _records(spec, store, kind.name)  # under the lock: what the directory holds now
        by_id = {r.id: r for r in records}
        header: dict[str, Any] = {
            "name": spec.name,
            "sweep_file": str(spec.path) if spec.path else None,
            "base": str(spec.base) if spec.base else None,
            "axes": spec.axes,
            "sample": spec.sample.header(spec.seed) if spec.sample is not None else None,
            **kind.header,
            "executor": pool.kind if pool is not None else executor,
            "started": _now(),
        }
        if spec.design is not None:
            store.write_design(spec.design)
        store.write_manifest(header, records)
        todo = [p for p in spec.points if by_id[p.id].status != "done"]
        skipped = len(records) - len(todo)
        print(f"sweep {spec.name}: {len(records)} points, {skipped} already done", file=stream, flush=True)
        done = failed = 0
        if todo and pool is not None:
            header["workers"] = pool.n_workers
            bar = None
            try:
                estimate(spec, todo, pool.n_workers, stream, probe and kind.probe)
                if probe and not kind.probe:
                    print(
                        f"time: each point runs '{kind.name.split(':')[1] if ':' in kind.name else kind.name}' "
                        "in full (a kernel start and all its analyses), which a simulation probe cannot predict; "
                        "a projection follows the first finished point",
                        file=stream,
                        flush=True,
                    )
                first_done = not (probe and not kind.probe)
                bar = tqdm(
                    total=len(todo), unit="point", file=stream, disable=not progress, dynamic_ncols=True
                )
                last_write = time.monotonic()
                for key, outcome in pool.run([_task(kind, spec, p) for p in todo]):
                    record = by_id[key]
                    _finish(store, record, outcome, spec, kind)
                    done += record.status == "done"
                    failed += record.status == "failed"
                    bar.update()
                    bar.set_postfix(failed=failed, refresh=False)
                    if not first_done and record.duration_s is not None:
                        first_done = True
                        left = len(todo) - done - failed
                        rest = record.duration_s * left / max(1, min(pool.n_workers, left or 1))
                        bar.write(
                            f"first point took {_duration(record.duration_s)} -> {_about(rest)} for the {left} "
                            f"left on {pool.n_workers} workers",
                            file=stream,
                        )
                    if time.monotonic() - last_write >= MANIFEST_INTERVAL_S:
                        with contextlib.suppress(OSError):  # a lagging manifest loses nothing (see above)
                            store.write_manifest(header, records)
                        last_write = time.monotonic()
            except KeyboardInterrupt:
                if bar is not None:
                    bar.close()
                header["interrupted"] = _now()
                with contextlib.suppress(OSError):
                    store.write_manifest(header, records)
                finished = sum(r.status == "done" for r in records)
                raise SweepInterrupted(spec.name, finished, len(records), store.root) from None
            bar.close()
        header["finished"] = _now()
        store.write_manifest(header, records)
        summary = store.write_summary(records)
        if kind.after_sweep is not None:
            kind.after_sweep(store.root, spec, records, summary)
    print(
        f"sweep {spec.name}: done {done}, failed {failed}, skipped {skipped} (already done) -> {store.root}",
        file=stream,
        flush=True,
    )
    for record in records:
        if record.status == "failed":
            first = (record.error or "").strip().splitlines()
            print(f"  failed {record.id} ({_label(record)}): {first[-1] if first else '?'}", file=stream)
    return SweepResult(store.root, done, failed, skipped, summary, records)


def _check_memory(spec: SweepSpec, todo: set[str], workers: int) -> None:
    """Raise `SweepError` if the largest point to run, `workers` of them at once, cannot fit in this machine's
    memory (`aztec_econ.simulation.memory_problems`)."""
    from aztec_econ.simulation import memory_estimate, memory_problems

    points = [p for p in spec.points if p.id in todo]
    largest = max(points, key=lambda p: sum(part.bytes for part in memory_estimate(p.params)))
    copies = max(1, min(workers, len(points)))
    problems = memory_problems(
        largest.params, copies=copies, where=f"point {largest.index} ({largest.label()})"
    )
    if problems:
        raise SweepError(problems, f"sweep {spec.name}")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the workers were stopped and the manifest written; rerunning resumes."""

    def __init__(self, name: str, done: int, total: int, out_dir: Path) -> None:
        self.name, self.done, self.total, self.out_dir = name, done, total, out_dir
        super().__init__(
            f"interrupted: {done} of {total} points done; rerun the same command to resume (sweep {name} in "
            f"{out_dir})"
        )


class SweepFailed(RuntimeError):
    """Points of an in-memory sweep (`sweep_table`) failed; the message names each with the end of its error."""


def sweep_table(
    spec: SweepSpec,
    kpis: Sequence[str],
    *,
    expected: Callable[[Params], Mapping[str, Any]] | None = None,
    extra: Callable[[Trajectories], Mapping[str, Any]] | None = None,
    executor: str = "inline",
    workers: int | None = None,
    out_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Simulate the points of `spec` with `run_sweep` (in this process by default; outputs in a temporary directory
    unless `out_dir`, messages discarded) and return one row per point, in point order: its swept values, per KPI
    of `kpis` its mean over runs (`{kpi}`) and 95% confidence half-width (`{kpi}_ci`, 0 with one run),
    `slots_simulated` (runs x slots), the values `expected(params)` returns (closed forms at the point, e.g.
    `expectations.expected_randao`) and those `extra(traj)` returns (`simulation_kind`; e.g.
    `expectations.vote_outcomes`). Raises `SweepFailed` if any point fails. Every point has the seed of its
    parameters: with one seed for all, differences between points are not noise in the draws they share."""
    with contextlib.ExitStack() as stack:
        if out_dir is None:
            out_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"sweep-{spec.name}-"))
        result = run_sweep(
            spec,
            out_dir,
            executor,
            workers,
            kind=simulation_kind(extra),
            progress=False,
            probe=False,
            stream=io.StringIO(),
        )
    if not result.ok:
        failed = [r for r in result.records if r.status == "failed"]
        lines = [f"{r.id} ({_label(r)}): {(r.error or '?').strip().splitlines()[-1]}" for r in failed]
        raise SweepFailed(f"sweep {spec.name}: {len(failed)} point(s) failed:\n" + "\n".join(lines))
    summary = result.summary.set_index("point_id")
    rows: list[dict[str, Any]] = []
    for point, record in zip(spec.points, result.records, strict=True):
        row: dict[str, Any] = dict(point.values)
        for kpi in kpis:
            mean = float(summary.at[point.id, f"{kpi}_mean"])
            half = float(summary.at[point.id, f"{kpi}_ci_high"]) - mean
            row[kpi] = mean
            row[f"{kpi}_ci"] = half if math.isfinite(half) else 0.0
        row["slots_simulated"] = point.params.sim.runs * point.params.sim.slots
        if expected is not None:
            row.update(expected(point.params))
        row.update(record.extra)
        rows.append(row)
    return pd.DataFrame(rows)


def _label(record: PointRecord) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in record.values.items()) or "(base)"


def _finish(store: Store, record: PointRecord, outcome: Any, spec: SweepSpec, kind: PointKind) -> None:
    """Write a finished point's outputs (atomically; the per-run file last) and update its manifest record."""
    record.finished = _now()
    if not isinstance(outcome, PointOutcome):  # the task itself raised, or its worker died
        record.status, record.error = "failed", f"{type(outcome).__name__}: {outcome}"
        return
    record.duration_s = round(outcome.duration_s, 3)
    record.worker = outcome.worker
    if kind.after_point is not None:
        try:
            problem = kind.after_point(store.root, spec, record, outcome)
        except Exception:  # a hook that fails fails its point, not the sweep
            problem = traceback.format_exc()
        if problem is not None:
            record.status, record.error = "failed", problem
            return
    if not outcome.ok or outcome.per_run is None or outcome.aggregated is None:
        record.status, record.error = "failed", outcome.error or "failed without an error message"
        return
    per_run = outcome.per_run.copy()
    per_run.insert(0, "point_id", record.id)
    aggregated = outcome.aggregated.copy()
    aggregated.insert(0, "point_id", record.id)
    try:
        store.write_point(record.id, per_run, aggregated)
    except OSError as err:  # disk full, permissions changed: this point fails, the sweep goes on
        record.status, record.error = "failed", f"writing the point's outputs: {type(err).__name__}: {err}"
        return
    record.status, record.error = "done", None
    record.extra = dict(outcome.extra)


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def cmd_sweep(args: argparse.Namespace, kind: PointKind | Callable[[], PointKind] = SIMULATION) -> int:
    """The `aztec-econ sweep` command for points of `kind`, or of the kind a function builds once the arguments and
    the sweep file are checked (the notebook sweep's command wraps it: `aztec_econ.publish.notebook_sweep`)."""
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
    from aztec_econ.files import check_output_dir
    from aztec_econ.params import parse_override

    overrides = dict(parse_override(p) for p in args.overrides or ())
    spec = load_sweep(args.file, overrides)
    check_output_dir(args.out)
    try:
        result = run_sweep(
            spec,
            args.out,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            kind=kind() if callable(kind) else kind,
            progress=not args.no_progress,
        )
    except SweepInterrupted as stop:
        print(stop, file=sys.stderr)
        return 130
    except ExecutorError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the manifest or the summaries could not be written
        print(
            f"error: writing the sweep's outputs in {args.out}: {type(err).__name__}: {err}", file=sys.stderr
        )
        return 1
    return 0 if result.ok else 1
