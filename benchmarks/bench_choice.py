"""Benchmarks of choosing parameters (issue 15): a Morris screen and a mechanism search, on local workers.

- `morris`: Morris screening of 10 parameters, r = 10 trajectories (110 points), each point one month (4,320 slots)
  x 10 runs, through `run_sweep` on 2 local workers, then `aztec-econ analyze sensitivity`'s estimator;
- `search`: a 50-trial search (`params/studies/liveness_vs_issuance.yaml`, NSGA-II, its own horizon of 30 days x 5
  runs) on 2 local workers.

Each prints its wall time, points (simulations) per second and, for the screen, the top parameter per KPI.

    python benchmarks/bench_choice.py                      # both, full size (tens of minutes on 2 cores)
    python benchmarks/bench_choice.py morris --quick       # a smoke run: 3 trajectories of 2 days x 2 runs
    python benchmarks/bench_choice.py search --trials 20 --slots 1440
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time

from aztec_econ.params import PROJECT_ROOT, load_params
from aztec_econ.sweep.analysis import sensitivity
from aztec_econ.sweep.optimize import load_study, optimize
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import Sample, sample_spec

SCREEN = {
    "agents.sequencers.offline_probability": (0.0, 0.3),
    "agents.sequencers.self_prove_probability": (0.0, 0.5),
    "agents.provers.failure_probability": (0.0, 0.1),
    "agents.provers.unavailable_probability": (0.0, 0.6),
    "agents.provers.count": (1, 20),
    "agents.backup.ready_probability": (0.1, 0.9),
    "protocol.block_reward": (50.0, 200.0),
    "protocol.prover_bond": (100.0, 10000.0),
    "attacks.randao.l1_proposer_share": (0.0, 0.3),
    "governance.ramp_days": (0.0, 30.0),
}
KPIS = ["share_backup", "gap_mean_minutes", "apr_sequencers", "attacker_net_gain"]
STUDY = PROJECT_ROOT / "params" / "studies" / "liveness_vs_issuance.yaml"


def bench_morris(trajectories: int, slots: int, runs: int, keys: int, workers: int) -> None:
    params = load_params(
        overrides={
            "sim.slots": slots,
            "sim.runs": runs,
            "agents.sequencers.initial": keys,
            "attacks.randao.strategy": "reroll",
        }
    )
    spec = sample_spec(params, Sample("morris", trajectories, dict(SCREEN), levels=4), seed=1, name="morris")
    print(
        f"morris: {len(SCREEN)} parameters, r = {trajectories}: {len(spec.points)} points x {runs} runs x "
        f"{slots:,} slots, {keys} keys, {workers} local workers",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_sweep(spec, out, workers=workers, progress=False, probe=False, stream=io.StringIO())
        wall = time.perf_counter() - start
        assert result.ok, [r.error for r in result.records if r.status == "failed"][:1]
        analysed = time.perf_counter()
        indices = sensitivity(out, KPIS)
        estimator = time.perf_counter() - analysed
    print(
        f"morris: {wall:.1f} s wall, {len(spec.points) / wall:.3f} points/s "
        f"({len(spec.points) * runs * slots / wall:,.0f} slot-runs/s); estimator {estimator:.2f} s",
        flush=True,
    )
    for kpi, table in indices.tables.items():
        ranked = [f"{name} ({table.loc[name, 'mu_star']:.3g})" for name in table.index[:3]]
        print(f"  {kpi}: {', '.join(ranked)}")


def bench_search(trials: int, slots: int | None, runs: int | None, workers: int) -> None:
    overrides = {k: v for k, v in (("sim.slots", slots), ("sim.runs", runs)) if v is not None}
    spec = load_study(STUDY, overrides)
    p = spec.base_params
    print(
        f"search: {spec.name}, {trials} trials x {p.sim.runs} runs x {p.sim.slots:,} slots, "
        f"{p.agents.sequencers.initial} keys, {workers} local workers",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = optimize(spec, trials, out, executor="local", workers=workers, stream=io.StringIO())
        wall = time.perf_counter() - start
    best = result.best
    print(
        f"search: {wall:.1f} s wall, {result.evaluated} points computed ({result.evaluated / wall:.3f} points/s, "
        f"{trials / wall:.3f} trials/s); {best['feasible']} feasible, {best['pareto']} on the Pareto front, "
        f"status {best['status']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", nargs="*", help="morris, search (default: both)")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trajectories", type=int, help="Morris trajectories (default 10; quick 3)")
    parser.add_argument("--trials", type=int, help="search trials (default 50; quick 10)")
    parser.add_argument("--slots", type=int, help="horizon per point (default: one month; quick 288)")
    parser.add_argument(
        "--runs", type=int, help="runs per point (default: 10 for Morris, the study's for search)"
    )
    parser.add_argument("--keys", type=int, default=200, help="initial keys for the Morris screen")
    args = parser.parse_args()
    which = args.which or ["morris", "search"]
    if set(which) - {"morris", "search"}:
        parser.error(f"which: {', '.join(sorted(set(which) - {'morris', 'search'}))}: not morris or search")
    if "morris" in which:
        bench_morris(
            args.trajectories or (3 if args.quick else 10),
            args.slots or (288 if args.quick else 4_320),
            args.runs or (2 if args.quick else 10),
            args.keys,
            args.workers,
        )
    if "search" in which:
        bench_search(
            args.trials or (10 if args.quick else 50),
            args.slots or (288 if args.quick else None),
            args.runs or (2 if args.quick else None),
            args.workers,
        )


if __name__ == "__main__":
    main()
