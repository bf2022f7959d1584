"""One simulation's Monte Carlo runs split into chunks over an executor (a local pool, a Dask cluster, this process).

Why the result equals the single-process run: every random draw of a run comes from counter-based streams keyed by
the parameters and the run's global index, and runs never interact (each run is its own row of the batch axis), so
`simulate(params, runs=chunk)` computes, for each run of the chunk, exactly what `simulate(params)` computes for it
(`tests/test_reproducibility.py::test_a_run_does_not_depend_on_its_batch`). Chunks are put back in run order
whatever order they finish in, so results do not depend on the worker count, the chunk size or completion order
(tested against `simulate` of all runs, inline and on a real two-worker Dask cluster).

- `concat_trajectories(parts)`: run-chunks of one simulation joined into exactly what one `simulate` of all their
  runs returns (frame, key table, both histograms, categorical columns kept).
- `simulate_split(params, ...)`: the whole `Trajectories`, for what fits in this process's memory.
- `kpis_split(params, ...)`: each chunk returns only its per-run KPI table (`analysis.kpis.kpis_per_run`), which is
  small; the tables are joined in run order. A big simulation (a year of 1,000 runs would need about 24 GB for
  its frame) never holds more than one chunk's frame per worker.

A chunk that fails raises `SplitRunsError` naming its runs: there is never a silent partial result.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from aztec_econ.column_store import ColumnStore
from aztec_econ.params import Params
from aztec_econ.simulation import PROCESS_BYTES, Trajectories, available_memory, memory_estimate
from aztec_econ.sweep.executors import Executor

CHUNKS_PER_WORKER = 1
"""Default chunks per worker: one, as large as memory allows (`default_chunk`). Runs are a batch axis, so a chunk
pays the simulation's per-slot overhead once for all its runs: on the baseline (144 slots, 200 keys) one run takes
0.7 s, 125 runs 1.3 s, 250 runs 1.9 s, 500 runs 2.7 s, 1,000 runs 4.6 s. Four chunks per worker would cost two
workers 4 x 1.3 s for 1,000 runs, against 2.7 s for one chunk each. Runs all cost alike, so there is nothing to
balance."""


class SplitRunsError(RuntimeError):
    """A chunk of runs that failed, or parts that are not run-chunks of one simulation: the message says which."""


def _part_runs(part: Trajectories) -> np.ndarray[Any, np.dtype[np.int32]]:
    """The runs of `part`, in its order (its frame is run-major: `params.sim.slots` rows per run)."""
    slots = part.params.sim.slots
    store = part.columns
    if store.slots != slots or len(part.confirmation_hist) != store.n_runs:
        raise SplitRunsError(f"a part of {store.n_rows} rows is not whole runs of {slots} slots")
    return store.runs.astype(np.int32)


def concat_trajectories(parts: Sequence[Trajectories]) -> Trajectories:
    """Run-chunks of one simulation joined, in the order given, into exactly what `simulate(params, runs=...)` of
    all their runs (in that order) returns. Parts with different parameters or a run in common raise
    `SplitRunsError`."""
    if not parts:
        raise SplitRunsError("no parts to join")
    params = parts[0].params
    for i, part in enumerate(parts[1:], start=1):
        if part.params != params:
            differ = sorted(k for k, v in part.params.flat().items() if params.flat().get(k) != v)
            raise SplitRunsError(
                f"part {i} has different parameters from part 0 ({', '.join(differ) or 'parameters'}): "
                "not chunks of one simulation"
            )
    runs = [_part_runs(part) for part in parts]
    every = np.concatenate(runs)
    unique, counts = np.unique(every, return_counts=True)
    if (counts > 1).any():
        shared = ", ".join(str(r) for r in unique[counts > 1][:10])
        raise SplitRunsError(f"parts overlap: run(s) {shared} are in more than one part")
    if len(parts) == 1:
        only = parts[0]
        return Trajectories(
            params=params,
            columns=only.columns,
            keys=only.keys,
            confirmation_hist=only.confirmation_hist,
            demand_hist=only.demand_hist,
        )
    return Trajectories(
        params=params,
        columns=ColumnStore.concat([p.columns for p in parts]),
        keys=pd.concat([p.keys for p in parts], ignore_index=True),
        confirmation_hist=np.concatenate([p.confirmation_hist for p in parts]),
        demand_hist=np.concatenate([p.demand_hist for p in parts]),
    )


def simulate_chunk(params_json: str, runs: Sequence[int]) -> Trajectories:
    """Task: the trajectories of `runs` of the parameters (`Params.to_json()` text)."""
    from aztec_econ.params import parse_params
    from aztec_econ.simulation import simulate

    return simulate(parse_params(json.loads(params_json)), runs=list(runs))


def kpis_chunk(params_json: str, runs: Sequence[int]) -> pd.DataFrame:
    """Task: the per-run KPI table of `runs` of the parameters; the chunk's frame stays on the worker."""
    from aztec_econ.analysis.kpis import kpis_per_run

    return kpis_per_run(simulate_chunk(params_json, runs))


def chunk_runs(n_runs: int, chunk: int) -> list[range]:
    """Runs 0..n_runs-1 in consecutive chunks of `chunk` runs (the last one shorter)."""
    if chunk < 1:
        raise ValueError(f"chunk = {chunk}: must be >= 1 run")
    return [range(start, min(start + chunk, n_runs)) for start in range(0, n_runs, chunk)]


def default_chunk(params: Params, workers: int, available: int | None = None) -> int:
    """Runs per chunk so that each of `workers` gets `CHUNKS_PER_WORKER` chunk(s), smaller where `workers` chunks at
    once would not fit in `available` memory (default: this machine's, `simulation.available_memory`; a
    heuristic for a local cluster, from `simulation.memory_estimate`, which grows linearly in runs)."""
    n_runs = params.sim.runs
    chunk = max(1, math.ceil(n_runs / (CHUNKS_PER_WORKER * max(1, workers))))
    per_run = sum(part.bytes for part in memory_estimate(params) if part.parameters) / max(1, n_runs)
    free = available_memory() if available is None else available
    fitting = int((free / max(1, workers) - PROCESS_BYTES) // max(per_run, 1.0))
    return max(1, min(chunk, fitting))


def _shown(runs: range) -> str:
    return f"run {runs.start}" if len(runs) == 1 else f"runs {runs.start}-{runs.stop - 1}"


def _run_chunks(
    task: Callable[[str, Sequence[int]], Any],
    params: Params,
    chunk: int | None,
    executor: Executor | str,
    workers: int | None,
    scheduler: str | None,
) -> list[Any]:
    """Each chunk's result of `task`, in run order; the first failed chunk raises `SplitRunsError`."""

    def run_all(ex: Executor) -> list[Any]:
        chunks = chunk_runs(params.sim.runs, chunk or default_chunk(params, ex.n_workers))
        text = params.to_json()
        keys = [f"{i:08d}" for i in range(len(chunks))]
        results: dict[str, Any] = {}
        for key, result in ex.run([(k, task, (text, list(c))) for k, c in zip(keys, chunks, strict=True)]):
            if isinstance(result, BaseException):
                runs = chunks[int(key)]
                raise SplitRunsError(
                    f"{_shown(runs)} of {params.sim.runs} failed: {type(result).__name__}: {result}"
                ) from result
            results[key] = result
        return [results[k] for k in keys]

    if isinstance(executor, Executor):
        if not executor.n_workers:
            raise ValueError("the executor must be entered (`with Executor(...) as ex`) before it is passed")
        return run_all(executor)
    with Executor(executor, workers, scheduler) as ex:
        return run_all(ex)


def simulate_split(
    params: Params,
    *,
    chunk: int | None = None,
    executor: Executor | str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> Trajectories:
    """`simulate(params)` computed in chunks of `chunk` runs (default: `default_chunk`) on an executor: a kind
    (`local`, `dask`, `inline`, with `workers` and `scheduler` as for `Executor`) or an entered `Executor`. Equal to
    `simulate(params)` exactly; the whole frame comes back to this process (for big runs, `kpis_split`)."""
    return concat_trajectories(_run_chunks(simulate_chunk, params, chunk, executor, workers, scheduler))


def kpis_split(
    params: Params,
    *,
    chunk: int | None = None,
    executor: Executor | str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """`kpis_per_run(simulate(params))` computed in chunks (as `simulate_split`), each chunk returning only its
    KPI table: one row per run, in run order, with a fresh index."""
    return pd.concat(_run_chunks(kpis_chunk, params, chunk, executor, workers, scheduler), ignore_index=True)
