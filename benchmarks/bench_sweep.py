"""Benchmark of sweeps: points per second with 1 and 2 local workers, and the overhead per point against the bare
simulation.

Target (issue 6): at least 1.8x the points per second with 2 workers as with 1. The bare cost of a point is
`simulate` + per-run KPIs + their summary in this process (after a warm-up). A sweep's overhead per point is its
worker-seconds (wall x workers) per point minus the workers' own compute time per point: pool start, task
shipping, Parquet and manifest writes. Worker compute above bare means the workers competed for CPU.

    python benchmarks/bench_sweep.py                  # 16 points x 4 runs x 1,440 slots, 200 keys
    python benchmarks/bench_sweep.py --quick          # a smoke run
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import yaml

from aztec_econ.analysis.kpis import kpis_per_run, summarize
from aztec_econ.params import BASELINE
from aztec_econ.simulation import simulate
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import SweepSpec, load_sweep


def make_spec(directory: Path, points: int, runs: int, slots: int, keys: int) -> SweepSpec:
    """A sweep of `points` values of the prover bond on the baseline with a small horizon."""
    body = {
        "name": "bench",
        "base": str(BASELINE),
        "runs": runs,
        "overrides": {"sim.slots": slots, "agents.sequencers.initial": keys},
        "grid": {"protocol.prover_bond": [100 * (i + 1) for i in range(points)]},
    }
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(body))
    return load_sweep(path)


def bare_seconds_per_point(spec: SweepSpec) -> float:
    """Mean wall time of simulate + KPIs + summary per point, in this process, after one warm-up point."""
    summarize(kpis_per_run(simulate(spec.points[0].params)))
    start = time.perf_counter()
    for point in spec.points:
        summarize(kpis_per_run(simulate(point.params)))
    return (time.perf_counter() - start) / len(spec.points)


def sweep_seconds(spec: SweepSpec, workers: int) -> tuple[float, float]:
    """Wall time of a fresh sweep on `workers` local workers, and the mean worker compute time per point."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_sweep(spec, out, workers=workers, progress=False, probe=False, stream=io.StringIO())
        wall = time.perf_counter() - start
        assert result.failed == 0
        durations = [p["duration_s"] for p in json.loads((Path(out) / "manifest.json").read_text())["points"]]
    return wall, sum(durations) / len(durations)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--points", type=int, default=16)
    args = parser.parse_args()
    points, runs, slots, keys = (6, 2, 288, 100) if args.quick else (args.points, 4, 1_440, 200)
    with tempfile.TemporaryDirectory() as tmp:
        spec = make_spec(Path(tmp), points, runs, slots, keys)
        print(f"sweep: {points} points x {runs} runs x {slots:,} slots, {keys} keys", flush=True)
        bare = bare_seconds_per_point(spec)
        print(f"bare simulation + KPIs: {bare:.3f} s/point ({1 / bare:.2f} points/s)", flush=True)
        rates = {}
        for workers in (1, 2):
            wall, compute = sweep_seconds(spec, workers)
            rates[workers] = points / wall
            machinery = wall * workers / points - compute
            print(
                f"{workers} worker(s): {wall:6.2f} s wall, {rates[workers]:.2f} points/s; worker compute "
                f"{compute:.3f} s/point ({compute / bare - 1:+.0%} vs bare: contention); sweep overhead "
                f"{machinery:+.3f} s/point ({machinery / bare:+.1%} of bare: pool start, shipping, writes)",
                flush=True,
            )
    speedup = rates[2] / rates[1]
    verdict = "meets" if speedup >= 1.8 else "MISSES"
    print(f"speedup with 2 workers: {speedup:.2f}x ({verdict} the 1.8x target)")


if __name__ == "__main__":
    main()
