"""Speed figures of the model (issue 16), and their ratio to another git revision measured in the same session.

Prints, for this checkout (and, with `--compare REV`, for REV checked out in a temporary git worktree):

- ms per slot and slot-runs per second for `--runs` runs x `--keys` keys (default 100 x 1,000) over `--slots` slots,
  and a year at that rate: an extrapolation, below the year `bench_core.py --target` measures (a year's slot costs
  1.1-1.3x a 1,440-slot run's, measured on 2026-12-06: the output store, the registry and the process's memory grow);
- peak memory (max RSS) of that run, the memory per run-slot (peak of a run twice as long, minus it), the full
  year's peak they extrapolate to (100 runs; the issue bounds it at 1.5 GB), and the peak once `traj.frame` is read;
- the time per slot with 10x the keys, as a ratio to `--keys` keys (the issue bounds it at 1.3);
- CLI start-up: `aztec-econ --help`, `aztec-econ params show` and a 1-slot `aztec-econ simulate` (wall time of the
  whole command; `--cli` measures these alone), and where a 1-slot simulation's start-up goes: the interpreter, each
  third-party library the model imports (in the order they load), the model's own modules, numba's first dispatch
  (its compiler registries and the first kernel from the cache), the rest of the slot (the other kernels from the
  cache) and the KPI summary; "libraries and first dispatch" is what the start-up cannot go under while the model
  uses these libraries;
- numba's cold compile (the issue asks for it): the 1-slot `aztec-econ simulate` with numba's cache empty
  (`NUMBA_CACHE_DIR` a new directory: every kernel compiles from source, the checkout's cache untouched), and its
  difference from the cached one; measured once per checkout (about 25 s each; with `--cli` too, not with `--quick`);
- a tenth of a year through the CLI: `aztec-econ simulate` of 5,256 slots x 100 runs (baseline otherwise) writing
  its Parquet file with `--out`, start-up included (the issue bounds it at 5 s; `--quick`: 526 slots x 10 runs).

With `--steps`, instead: where a slot's time goes, measured inside the simulation (`--slots` x `--runs`, baseline):
each step of `model.blocks.STEPS` (us per slot, its timer included: about 0.3 us), cadCAD's own machinery around them
(the segment's time less its steps), recording the segment's output columns (`simulation._record`), and the rest
of `simulate` (storing blocks, the histograms, the votes, the key table).

Every measurement runs in a fresh process pinned to one core (`taskset -c --core`, where available); each is
repeated `--repeat` times, the best is kept, and with `--compare` this checkout and REV alternate (in the order A B,
B A, A B, ...: neither always goes first), so a noisy machine slows both alike. With `--compare` the table shows two
ratios: of the bests, and "paired", the median over the rounds of the ratio within a round, which a machine whose
speed drifts over minutes disturbs less (two copies of one revision: 0.74-1.05 by their bests, 1.005 paired). A
benchmark that prints figures, not a timed test: nothing here fails on a slow machine.

    python benchmarks/bench_speed.py                     # this checkout
    python benchmarks/bench_speed.py --compare HEAD~1    # and the previous commit, interleaved, with ratios
    python benchmarks/bench_speed.py --quick             # small sizes: a smoke run
    python benchmarks/bench_speed.py --cli --repeat 5    # CLI start-up only, best of 5
    python benchmarks/bench_speed.py --steps --compare HEAD~1 --slots 720   # per step, this and the previous commit
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate
slots, runs, keys = (int(x) for x in sys.argv[1:4])
params = load_params(overrides={"sim.slots": slots, "sim.runs": runs, "agents.sequencers.initial": keys})
simulate(load_params(overrides={"sim.slots": 2, "sim.runs": runs, "agents.sequencers.initial": keys}))  # warm up
start = time.perf_counter()
traj = simulate(params)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
traj.frame  # built on first read (stored compactly since the column store; older revisions built it in simulate)
with_frame = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall_s": wall, "peak_bytes": peak, "frame_peak_bytes": with_frame}))
"""


STARTUP = """
import time
parts = {}
def part(name, since):
    now = time.perf_counter()
    parts[name] = now - since
    return now
t = time.perf_counter()
import numpy
t = part("import numpy", t)
import pandas
t = part("import pandas (cadCAD imports it)", t)
import scipy.special
t = part("import scipy.special", t)
import numba
t = part("import numba", t)
import cadCAD.engine, cadCAD.configuration
t = part("import cadCAD", t)
import pydantic, yaml
t = part("import pydantic, yaml", t)
from aztec_econ.analysis.kpis import summary
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate
t = part("import the model's own modules", t)
from aztec_econ.model.kernels import mix64_flat
mix64_flat(numpy.zeros(2, dtype=numpy.uint64))
t = part("numba's first dispatch", t)
traj = simulate(load_params("params/baseline.yaml", overrides={"sim.slots": 1, "sim.runs": 1}))
t = part("1-slot simulate (other kernels)", t)
summary(traj)
t = part("KPI summary", t)
import json
print(json.dumps(parts))
"""
"""A 1-slot simulation's start-up in parts (seconds each, in the order they run), measured inside one fresh process."""

LIBRARIES = (
    "import numpy",
    "import pandas (cadCAD imports it)",
    "import scipy.special",
    "import numba",
    "import cadCAD",
    "import pydantic, yaml",
    "numba's first dispatch",
)


def startup_once(root: Path, core: int) -> dict[str, float]:
    """`STARTUP`'s parts, with the interpreter's own start-up (`python -c pass`) first."""
    start = time.perf_counter()
    subprocess.run(_pin([sys.executable, "-c", "pass"], core), check=True, env=_env(root), cwd=root)
    interpreter = time.perf_counter() - start
    out = subprocess.run(
        _pin([sys.executable, "-c", STARTUP], core),
        capture_output=True,
        text=True,
        check=True,
        env=_env(root),
        cwd=root,
    ).stdout
    parts: dict[str, float] = {"start-up: python": interpreter}
    parts.update({f"start-up: {k}": v for k, v in json.loads(out.strip().splitlines()[-1]).items()})
    parts["start-up: libraries and first dispatch"] = interpreter + sum(
        parts[f"start-up: {k}"] for k in LIBRARIES
    )
    parts["start-up: total"] = sum(
        v for k, v in parts.items() if k != "start-up: libraries and first dispatch"
    )
    return parts


STEPS_CHILD = """
import dataclasses, json, sys, time
from aztec_econ import simulation
from aztec_econ.model import blocks
from aztec_econ.params import load_params
slots, runs, keys = (int(x) for x in sys.argv[1:4])
spent = {}
def timed(name, function):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
    return run
blocks.STEPS = tuple(dataclasses.replace(s, function=timed("step: " + s.label, s.function)) for s in blocks.STEPS)
simulation._record = timed("record", simulation._record)
if hasattr(simulation, "_Engine"):  # the engine configured once a simulation; older revisions: _run_segment
    simulation._Engine.segment = timed("segment", simulation._Engine.segment)
else:
    simulation._run_segment = timed("segment", simulation._run_segment)
overrides = {"sim.runs": runs, "agents.sequencers.initial": keys}
simulation.simulate(load_params(overrides={**overrides, "sim.slots": 3}))  # warm up
spent.clear()
start = time.perf_counter()
simulation.simulate(load_params(overrides={**overrides, "sim.slots": slots}))
wall = time.perf_counter() - start
steps = sum(v for k, v in spent.items() if k.startswith("step: "))
spent["cadCAD machinery"] = spent.pop("segment") - steps
spent["recording"] = spent.pop("record")
spent["rest of simulate"] = wall - spent["cadCAD machinery"] - steps - spent["recording"]
spent["total"] = wall
print(json.dumps({k: v / slots * 1e6 for k, v in spent.items()}))
"""
"""Where a slot's time goes (us per slot, by step, then cadCAD, recording and the rest), in one fresh process."""


def steps_once(root: Path, core: int, slots: int, runs: int, keys: int) -> dict[str, float]:
    command = _pin([sys.executable, "-c", STEPS_CHILD, str(slots), str(runs), str(keys)], core)
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=_env(root), cwd=root).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _pin(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") else command


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root)}


def simulate_once(root: Path, core: int, slots: int, runs: int, keys: int) -> dict[str, float]:
    command = _pin([sys.executable, "-c", CHILD, str(slots), str(runs), str(keys)], core)
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=_env(root), cwd=root).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def cli_once(root: Path, core: int, args: list[str]) -> float:
    command = _pin([sys.executable, "-m", "aztec_econ.cli", *args], core)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=_env(root), cwd=root)
    return time.perf_counter() - start


def cold_once(root: Path, core: int) -> float:
    """`CLI`'s 1-slot simulation with numba's cache empty: `NUMBA_CACHE_DIR` a new directory, so every kernel the
    simulation calls compiles from source (the checkout's own cache in `__pycache__` is neither read nor written)."""
    with tempfile.TemporaryDirectory(prefix="bench-numba-cold-") as cache:
        command = _pin([sys.executable, "-m", "aztec_econ.cli", *CLI[ONE_SLOT]], core)
        env = {**_env(root), "NUMBA_CACHE_DIR": cache}
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env, cwd=root)
        return time.perf_counter() - start


ONE_SLOT = "aztec-econ simulate (1 slot)"
COLD = "aztec-econ simulate (1 slot), numba's cache empty"
COMPILE = "numba's cold compile (the two above's difference)"
"""The figures of `cold_once`: measured once per root (about 25 s each), not in `--quick` runs."""

CLI: dict[str, list[str]] = {
    "aztec-econ --help": ["--help"],
    "aztec-econ params show": ["params", "show", "params/baseline.yaml"],
    ONE_SLOT: [
        "simulate",
        "params/baseline.yaml",
        "--set",
        "sim.slots=1",
        "--set",
        "sim.runs=1",
    ],
}


PAIRED_FROM = {"ms per slot": "base_wall_s", "year at this slot rate s": "base_wall_s"}
"""Derived figures whose ratio between two roots is that of a measured one (`paired_ratios`)."""


def paired_ratios(rounds: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    """For two roots: per figure, the median over the rounds of (first root / second root) in the same round. Each
    pair ran back to back, so a machine whose speed drifts over minutes moves both alike; the median ignores a round
    in which one of the two was disturbed. The ratio of the bests can differ by several percent on a noisy machine
    (two copies of one revision measured 0.74-1.05 by their bests)."""
    (_, first), (_, second) = rounds.items()
    out = {
        name: statistics.median(x / y for x, y in zip(values, second[name], strict=True) if y)
        for name, values in first.items()
        if name in second and any(second[name])
    }
    out.update({name: out[source] for name, source in PAIRED_FROM.items() if source in out})
    return out


def figures(
    roots: dict[str, Path], args: argparse.Namespace
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[float]]]]:
    """Every figure for every root, measured interleaved (root after root, `--repeat` rounds): the best of the rounds,
    and every round's value (for `paired_ratios`)."""
    best: dict[str, dict[str, float]] = {label: {} for label in roots}
    rounds: dict[str, dict[str, list[float]]] = {label: {} for label in roots}

    def keep(label: str, name: str, value: float, lower_is_better: bool = True) -> None:
        rounds[label].setdefault(name, []).append(value)
        old = best[label].get(name)
        if old is None or (value < old if lower_is_better else value > old):
            best[label][name] = value

    jobs: list[tuple[str, Callable[[Path], dict[str, float]]]] = [
        (
            "base",
            lambda root: simulate_once(root, args.core, args.slots, args.runs, args.keys),
        ),
        (
            "long",
            lambda root: simulate_once(root, args.core, 2 * args.slots, args.runs, args.keys),
        ),
        (
            "keys",
            lambda root: simulate_once(root, args.core, args.slots, args.runs, 10 * args.keys),
        ),
    ]
    tenth_slots, tenth_runs = (526, 10) if args.quick else (5_256, 100)

    def order(round_: int) -> list[tuple[str, Path]]:
        """The roots in this round's order: reversed every other round (A B, B A, ...), so neither is always first."""
        items = list(roots.items())
        return items[::-1] if round_ % 2 else items

    for round_ in range(args.repeat) if args.steps else ():
        for label, root in order(round_):
            for name, value in steps_once(root, args.core, args.slots, args.runs, args.keys).items():
                keep(label, name, value)
        print(f"  round {round_ + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    for round_ in () if args.steps else range(args.repeat):
        for label, root in [] if args.cli else order(round_):
            with tempfile.TemporaryDirectory(prefix="bench-tenth-") as out:
                tenth = ["simulate", "params/baseline.yaml", "--set", f"sim.slots={tenth_slots}"]
                tenth += ["--set", f"sim.runs={tenth_runs}", "--out", str(Path(out) / "tenth.parquet")]
                keep(label, TENTH, cli_once(root, args.core, tenth))
        for name, job in [] if args.cli else jobs:
            for label, root in order(round_):
                r = job(root)
                keep(label, f"{name}_wall_s", r["wall_s"])
                keep(label, f"{name}_peak_bytes", r["peak_bytes"])
                keep(label, f"{name}_frame_peak_bytes", r["frame_peak_bytes"])
        for name, cli_args in CLI.items():
            for label, root in order(round_):
                keep(label, name, cli_once(root, args.core, cli_args))
        for label, root in order(round_):
            for name, value in startup_once(root, args.core).items():
                keep(label, name, value)
        for label, root in [] if round_ or args.quick else order(round_):  # once: it compiles every kernel
            keep(label, COLD, cold_once(root, args.core))
        print(f"  round {round_ + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    for label in [] if args.steps or args.quick else roots:
        best[label][COMPILE] = best[label][COLD] - best[label][ONE_SLOT]
    for label in [] if args.cli or args.steps else roots:
        b = best[label]
        slot_runs = args.slots * args.runs
        b["ms per slot"] = b["base_wall_s"] / args.slots * 1e3
        b["slot-runs per s"] = slot_runs / b["base_wall_s"]
        b["peak memory MiB"] = b["base_peak_bytes"] / 2**20
        b["bytes per run-slot"] = (b["long_peak_bytes"] - b["base_peak_bytes"]) / slot_runs
        b["year peak estimate GB"] = (
            b["base_peak_bytes"] + b["bytes per run-slot"] * (52_560 * 100 - slot_runs)
        ) / 1e9
        b["peak with the frame read MiB"] = b["base_frame_peak_bytes"] / 2**20
        b[f"{10 * args.keys} keys / {args.keys} keys"] = b["keys_wall_s"] / b["base_wall_s"]
        b["year at this slot rate s"] = b["base_wall_s"] / args.slots * 52_560 * 100 / args.runs
    return best, rounds


TENTH = "CLI tenth of a year, --out"

SHOWN = (
    TENTH,
    "ms per slot",
    "slot-runs per s",
    "year at this slot rate s",
    "peak memory MiB",
    "bytes per run-slot",
    "year peak estimate GB",
    "peak with the frame read MiB",
    "__keys__",
    *CLI,
    COLD,
    COMPILE,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compare", metavar="REV", help="also measure this git revision, interleaved")
    parser.add_argument("--slots", type=int, default=1_440)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of them is kept")
    parser.add_argument("--core", type=int, default=1, help="the core every measurement is pinned to")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--cli", action="store_true", help="only the CLI start-up figures")
    parser.add_argument("--steps", action="store_true", help="only where a slot's time goes (us per slot)")
    args = parser.parse_args()
    if args.quick:
        args.slots, args.runs, args.repeat = 120, 10, 1
    roots = {"this": HERE}
    tmp = None
    if args.compare:
        tmp = Path(tempfile.mkdtemp(prefix="bench-speed-"))
        subprocess.run(
            ["git", "-C", str(HERE), "worktree", "add", "--detach", str(tmp / "rev"), args.compare],
            check=True,
            capture_output=True,
        )
        roots[args.compare] = tmp / "rev"
    try:
        # both measured with their bytecode, as `make` installs it (a fresh worktree has none)
        for root in roots.values():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "aztec_econ")], check=True)
        best, rounds = figures(roots, args)
    finally:
        if tmp is not None:
            subprocess.run(
                ["git", "-C", str(HERE), "worktree", "remove", "--force", str(tmp / "rev")],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(tmp, ignore_errors=True)
    if args.steps:
        print(
            f"us per slot, {args.slots} slots x {args.runs} runs x {args.keys} keys, core {args.core}, "
            f"best of {args.repeat} (each figure its own best)"
        )
    elif args.cli:
        print(f"CLI start-up (wall time of the whole command), core {args.core}, best of {args.repeat}")
    else:
        print(
            f"{args.slots} slots x {args.runs} runs x {args.keys} keys, core {args.core}, best of {args.repeat} "
            "(year at this slot rate: 52,560 slots x 100 runs at it; a measured year runs slower per slot, "
            "bench_core.py --target)"
        )
    labels = list(roots)
    header = f"{'figure':<52}" + "".join(f"{label:>16}" for label in labels)
    if len(labels) == 2:
        header += f"{'ratio':>10}{'paired':>10}"
        paired = paired_ratios(rounds)
    print(header)
    if len(labels) == 2:
        print(
            f"(ratio: {labels[0]} / {labels[1]} of the bests; paired: the median of that ratio within a round)"
        )
    startup = [name for name in best[labels[0]] if name.startswith("start-up: ")]
    by_step = sorted(
        best[labels[0]], key=lambda name: (not name.startswith("step: "), -best[labels[0]][name])
    )
    cli = [*CLI, COLD, COMPILE]
    for name in by_step if args.steps else [*cli, *startup] if args.cli else [*SHOWN, *startup]:
        key = f"{10 * args.keys} keys / {args.keys} keys" if name == "__keys__" else name
        if key not in best[labels[0]]:  # the cold compile in a --quick run
            continue
        shown = key + (" [s]" if key in cli or key == TENTH or key in startup else "")
        row = f"{shown:<52}" + "".join(f"{best[label][key]:>16,.3f}" for label in labels)
        if len(labels) == 2 and best[labels[1]][key]:
            row += f"{best[labels[0]][key] / best[labels[1]][key]:>10.3f}"
            row += f"{paired[key]:>10.3f}" if key in paired else f"{'':>10}"
        print(row)


if __name__ == "__main__":
    main()
