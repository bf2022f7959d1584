"""Benchmark of scale-out: one simulation's runs split over a Dask cluster of 1 worker and of 2 workers.

Target (issue 16): 1,000 runs of a year (52,560 slots) split over a 2-worker Dask cluster on 127.0.0.1 reach at
least 1.8x the speed of one worker, with results identical to the single-process run. Each chunk of runs returns
only its per-run KPI table (`aztec_econ.sweep.split_runs.kpis_split`): a year of 1,000 runs would need about 24 GB
for its frame, so no frame is ever joined.

What it prints: per cluster size, the cluster's start-up (scheduler and worker processes on 127.0.0.1, then a
warm-up task on every worker: imports and compiled kernels), kept apart from the compute (the wall time of
`kpis_split`, best of `--repeat`, 1- and 2-worker runs interleaved so a busy machine slows both alike); the speed-up
(1-worker compute / 2-worker compute); and whether every run's KPI table equals the single-process run's
(`kpis_per_run(simulate(params))`, skipped with `--no-reference`). Worker processes are single-threaded. Prints
figures only: nothing asserts a speed.

The default keeps the issue's 1,000 runs over a short horizon. Runs are a batch axis: each chunk pays a per-slot
overhead once for all its runs and a cost per run-slot on top, so the speed-up depends on the runs per chunk, hardly
on the slots; a few runs cannot show it (40 runs x 1,440 slots take 6.7 s in one process, one run 4.3 s).

    python benchmarks/bench_scaleout.py                        # 1,000 runs x 288 slots: a few minutes on 2 cores
    python benchmarks/bench_scaleout.py --quick                # a smoke run (16 runs x 48 slots)
    python benchmarks/bench_scaleout.py --runs 1000 --slots 52560 --repeat 1 --no-reference
        # the issue's figure: a year. Long: at 4.6 s per 1,000 runs x 144 slots, about half an hour per 1-worker
        # round and 15 min per 2-worker round on idle cores, more if the state grows over the year; a chunk of 500
        # runs of a year needs about 30 GB, so on a smaller machine the chunks shrink to fit (`default_chunk`)
"""

from __future__ import annotations

import argparse
import time
import warnings
from contextlib import ExitStack

import pandas as pd

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate
from aztec_econ.sweep.executors import Executor, local_cluster
from aztec_econ.sweep.split_runs import kpis_chunk, kpis_split


def start_cluster(stack: ExitStack, workers: int, warm_json: str) -> tuple[Executor, float]:
    """A `LocalCluster` of `workers` single-threaded processes on 127.0.0.1 (closed with `stack`), every worker
    warmed up by one tiny chunk, and an entered Dask `Executor` on it; and the seconds all of that took."""
    from distributed import Client

    start = time.perf_counter()
    cluster = stack.enter_context(local_cluster(workers, host="127.0.0.1"))
    with Client(cluster) as client:
        client.run(kpis_chunk, warm_json, [0])  # on every worker: imports, compiled kernels
    executor = stack.enter_context(Executor("dask", scheduler=cluster.scheduler_address))
    return executor, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=288)
    parser.add_argument("--keys", type=int, default=200, help="agents.sequencers.initial")
    parser.add_argument(
        "--chunk", type=int, default=None, help="runs per chunk (default: one chunk per worker)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of this many interleaved rounds")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the single-process run and comparison"
    )
    parser.add_argument("--quick", action="store_true", help="16 runs x 48 slots, 2 rounds: a smoke run")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Port .* is already in use")  # another cluster's dashboard
    if args.quick:
        args.runs, args.slots, args.repeat = 16, 48, 2
    params = load_params(
        overrides={"sim.runs": args.runs, "sim.slots": args.slots, "agents.sequencers.initial": args.keys}
    )
    warm = load_params(  # one run: every compiled kernel (10 slots leave some to compile in the first round)
        overrides={"sim.runs": 1, "sim.slots": min(args.slots, 480), "agents.sequencers.initial": args.keys}
    )
    print(f"{args.runs} runs x {args.slots:,} slots, {args.keys} keys; best of {args.repeat}")

    reference = None
    if not args.no_reference:
        kpis_per_run(simulate(warm))
        start = time.perf_counter()
        reference = kpis_per_run(simulate(params))
        print(f"single process (this one, no cluster): {time.perf_counter() - start:8.2f} s")

    executors: dict[int, Executor] = {}
    best: dict[int, float] = {}
    identical: dict[int, bool] = {}
    with ExitStack() as stack:
        for workers in (1, 2):
            executors[workers], startup = start_cluster(stack, workers, warm.to_json())
            print(f"{workers}-worker cluster start-up (processes + warm-up): {startup:8.2f} s")
        for round_ in range(args.repeat):
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                start = time.perf_counter()
                table = kpis_split(params, chunk=args.chunk, executor=executors[workers])
                seconds = time.perf_counter() - start
                best[workers] = min(best.get(workers, seconds), seconds)
                if reference is not None:
                    try:
                        pd.testing.assert_frame_equal(table, reference)
                        same = True
                    except AssertionError:
                        same = False
                    identical[workers] = identical.get(workers, True) and same
                print(f"  round {round_ + 1}, {workers} worker(s): {seconds:8.2f} s")

    run_slots = args.runs * args.slots
    for workers in (1, 2):
        print(
            f"{workers} worker(s): compute {best[workers]:8.2f} s (best), "
            f"{run_slots / best[workers]:,.0f} run-slots/s"
        )
    print(f"speed-up, 2 workers over 1: {best[1] / best[2]:.2f}x (target >= 1.8x)")
    if reference is None:
        print("identical to the single-process run: not checked (--no-reference)")
    else:
        for workers in (1, 2):
            print(f"identical to the single-process run, {workers} worker(s): {identical[workers]}")


if __name__ == "__main__":
    main()
