"""Benchmark of the core model: wall time, slot-runs per second and peak memory, and how they scale.

Target (issue 2): the baseline with 1,000 sequencer keys, one simulated year (52,560 ten-minute slots) and 100 Monte
Carlo runs in at most 60 s wall and 4 GB peak memory on one core. Each measurement runs in a fresh process pinned to
one core (`taskset`, where available) so peak memory (max RSS) is its own.

    python benchmarks/bench_core.py            # the target plus scaling series
    python benchmarks/bench_core.py --target   # the target only
    python benchmarks/bench_core.py --quick    # small sizes: a smoke run
    python benchmarks/bench_core.py --attacks  # cost per slot of the attacks (issue 4) against the baseline
    python benchmarks/bench_core.py --economics --core-path DIR
        # cost per slot of the economics (issue 3): this checkout's baseline against a quiet economy (no demand,
        # steady L1 prices) and, with --core-path, against another checkout without the economics (e.g. the commit
        # before issue 3 in a git worktree); the ratio is what the issue bounds (at most 2)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

CHILD = """
import json, resource, sys, time
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate
slots, runs, keys = (int(x) for x in sys.argv[1:4])
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
params = load_params(overrides={"sim.slots": slots, "sim.runs": runs, "agents.sequencers.initial": keys, **extra})
start = time.perf_counter()
traj = simulate(params)
wall = time.perf_counter() - start
mode = traj.column("mode") if hasattr(traj, "column") else traj.frame["mode"]  # older checkouts: no column()
happy = float((mode == "happy").mean())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
print(json.dumps({"slots": slots, "runs": runs, "keys": keys, "wall_s": wall, "peak_gib": peak, "happy": happy}))
"""


ATTACK_SETTINGS: dict[str, dict[str, object]] = {
    "baseline": {},
    "reroll": {"attacks.randao.strategy": "reroll", "attacks.randao.l1_proposer_share": 0.3},
    "tail": {"attacks.randao.strategy": "tail", "attacks.randao.l1_proposer_share": 0.3},
    "censorship": {
        "attacks.censorship.builder_share": 0.6,
        "attacks.censorship.autocorrelation": 0.5,
        "attacks.censorship.phases": ["proposal", "commitment", "reveal", "proof"],
        "attacks.censorship.prebuilt_backup": True,
    },
}
ATTACK_SETTINGS["all"] = {**ATTACK_SETTINGS["tail"], **ATTACK_SETTINGS["censorship"]}


QUIET_ECONOMY: dict[str, object] = {
    "environment.demand.tx_per_second": 0.0,
    "environment.l1.process": "steady",
}


def measure(
    slots: int, runs: int, keys: int, extra: dict[str, object] | None = None, path: str | None = None
) -> dict[str, float]:
    """One measurement in a fresh process; `path` puts another checkout's package first on the path."""
    command = [sys.executable, "-c", CHILD, str(slots), str(runs), str(keys), json.dumps(extra or {})]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    env = {**os.environ, "PYTHONPATH": path} if path else None
    # `python -c` puts the working directory first on the path: run another checkout from inside it
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=path).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def report(label: str, r: dict[str, float]) -> None:
    rate = r["slots"] * r["runs"] / r["wall_s"]
    print(
        f"{label:<10} slots={r['slots']:>6} runs={r['runs']:>4} keys={r['keys']:>5}  wall={r['wall_s']:7.2f} s  "
        f"{rate:>10,.0f} slot-runs/s  {r['wall_s'] / (r['slots'] * r['runs']) * 1e6:6.2f} us/slot-run  "
        f"peak={r['peak_gib']:.2f} GiB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", action="store_true", help="only the target configuration")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--attacks", action="store_true", help="baseline against each attack setting")
    parser.add_argument("--economics", action="store_true", help="the economics' cost per slot (issue 3)")
    parser.add_argument("--core-path", help="with --economics: a checkout of the core without the economics")
    args = parser.parse_args()
    year, runs, keys = (2_000, 10, 1_000) if args.quick else (52_560, 100, 1_000)
    if args.economics:
        slots = 1_440 if args.quick else 7_200
        here = measure(slots, runs, keys)
        report("economics", here)
        rows = [("quiet", measure(slots, runs, keys, QUIET_ECONOMY))]
        if args.core_path:
            rows.append(("core", measure(slots, runs, keys, path=args.core_path)))
        for label, r in rows:
            report(label, r)
            print(f"{'':<10} economics / {label}: {here['wall_s'] / r['wall_s']:.2f} x", flush=True)
        return
    if args.attacks:
        slots = 1_440 if args.quick else 7_200
        base = None
        for label, extra in ATTACK_SETTINGS.items():
            r = measure(slots, runs, keys, extra)
            report(label, r)
            per_slot = r["wall_s"] / slots * 1e3
            base = base or per_slot
            print(
                f"{'':<10} {per_slot:.3f} ms per slot ({runs} runs): {per_slot / base:.2f} x baseline",
                flush=True,
            )
        return

    target = measure(year, runs, keys)
    report("target", target)
    for goal, seconds in (
        ("core goal (issue 2)", 60),
        ("with the economics: 2x the core goal (issue 3)", 120),
    ):
        verdict = "meets" if target["wall_s"] <= seconds and target["peak_gib"] <= 4 else "MISSES"
        print(
            f"target: {verdict} the {seconds} s / 4 GiB {goal} (happy share {target['happy']:.4f})",
            flush=True,
        )
    if args.target:
        return
    print("scaling (each series doubles one dimension; linear means wall time doubles too):")
    for factor in (0.25, 0.5):
        report("slots", measure(int(year * factor), runs, keys))
    for r in (max(1, runs // 4), max(1, runs // 2)):
        report("runs", measure(year // 4, r, keys))
    report("runs", measure(year // 4, runs, keys))
    for k in (keys // 2, keys * 2, keys * 4):
        report("keys", measure(year // 4, runs, k))


if __name__ == "__main__":
    main()
