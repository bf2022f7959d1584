"""Bad input, as a demanding user or an attacker gives it: every case fails before anything runs with exit 2 and one
message naming the field (or file or option), the value and the rule, with no traceback and nothing written. Then
the holes that ran code or showed what they should not, and the faults: locks, interrupts, dead clients, unreachable
schedulers, writes that fail, reports replaced as a unit.

The CLI runs in this process (`aztec_econ.cli.main`), in a fresh working directory per case. Parameter names are
chosen to be stable (no per-slot environment parameters, which are being moved to physical units).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from aztec_econ import files
from aztec_econ.cli import main
from aztec_econ.params import BASELINE, PROJECT_ROOT, ParamsError, load_params
from aztec_econ.sweep.runner import PointKind, SweepInterrupted, run_sweep
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.sweep.store import Store, StoreError
from aztec_econ.sweep.tasks import PointOutcome

NOTEBOOK = PROJECT_ROOT / "notebooks" / "01_baseline_network_health.py"
SMALL = ["--set", "sim.slots=10", "--set", "sim.runs=1", "--set", "agents.sequencers.initial=50"]
"""Put before a case's own --set (the later override wins): should a case wrongly pass, it runs in a second."""
SECRET = "hunter2-SECRET-marker"
PRICE_HEADER = "l1_gas_price,blob_price\n"
QUIET_SWEEP = {"name": "t", "base": str(BASELINE), "runs": 1, "overrides": {"sim.slots": 10}}


def sweep_yaml(**body: Any) -> str:
    return yaml.safe_dump({**QUIET_SWEEP, **body}, sort_keys=False)


def unwritable_directory() -> Path | None:
    """A directory no file can be created in (as root: read-only /sys), or None."""
    for candidate in (Path("/sys"), Path("/proc")):
        if candidate.is_dir() and files._not_writable(candidate):
            return candidate
    return None


UNWRITABLE = unwritable_directory()


@dataclass(frozen=True)
class Bad:
    """One bad input: the command line (`{tmp}`, `{base}`, `{nb}`, `{ro}` are filled in), the files to create first
    (relative to the working directory; None makes a directory), what the message must name (`expect`), what it
    must never show (`absent`) and the exit code."""

    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    files: Mapping[str, str | bytes | None] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    code: int = 2


def simulate(*sets: str) -> tuple[str, ...]:
    args: list[str] = ["simulate", "{base}", *SMALL]
    for s in sets:
        args += ["--set", s]
    return tuple(args)


def show(path: str = "p.yaml") -> tuple[str, ...]:
    return ("params", "show", path)


def report(*args: str) -> tuple[str, ...]:
    return ("report", "{nb}", "--out", "r", *args)


def sweep(path: str = "s.yaml", *args: str) -> tuple[str, ...]:
    return ("sweep", path, "--out", "sw", "--executor", "inline", "--no-progress", *args)


ON_BASE = f"base: {BASELINE}\n"
CASES: list[Bad] = [
    # --- non-finite and huge numbers: every field, through the generic rules of params.fields
    Bad("reward-inf", simulate("protocol.block_reward=.inf"), ("protocol.block_reward", "inf", "finite")),
    Bad("reward-minus-inf", simulate("protocol.block_reward=-.inf"), ("protocol.block_reward", "-inf")),
    Bad("reward-nan", simulate("protocol.block_reward=.nan"), ("protocol.block_reward", "nan", "finite")),
    Bad(
        "reward-1e308",
        simulate("protocol.block_reward=1.0e+308"),
        ("protocol.block_reward", "1e+308", "1e+15"),
    ),
    Bad("stake-inf", simulate("protocol.minimum_stake=.inf"), ("protocol.minimum_stake", "inf", "finite")),
    Bad("bond-nan", simulate("protocol.prover_bond=.nan"), ("protocol.prover_bond", "nan", "finite")),
    Bad(
        "supply-inf", simulate("environment.circulating_supply=.inf"), ("circulating_supply", "inf", "finite")
    ),
    Bad(
        "gas-huge",
        simulate("environment.l1.gas_price=1.0e+300"),
        ("environment.l1.gas_price", "1e+300", "at most"),
    ),
    Bad(
        "eth-per-token-tiny",
        simulate("environment.token.eth_per_token=1.0e-300"),
        ("environment.token.eth_per_token", "1e-300", "at least 1e-12"),
    ),
    Bad(
        "token-volatility-negative",
        simulate("environment.token.volatility_per_year=-0.5"),
        ("environment.token.volatility_per_year", "-0.5", "greater than or equal to 0"),
    ),
    Bad(
        "token-process-unknown",
        simulate("environment.token.process=random_walk"),
        ("environment.token.process", "'random_walk'", "fixed"),
    ),
    Bad(
        "prover-hardware-zero",
        simulate("agents.provers.hardware_capital=0.0"),
        ("agents.provers.hardware_capital", "0.0", "greater than 0"),
    ),
    Bad(
        "relay-capital-inf",
        simulate("agents.relays.capital=.inf"),
        ("agents.relays.capital", "inf", "finite"),
    ),
    Bad(
        "old-eth-per-token",
        simulate("environment.l1.eth_per_token=0.001"),
        ("environment.l1.eth_per_token", "moved or removed", "environment.token.eth_per_token"),
    ),
    Bad(
        "old-prover-margin",
        simulate("agents.provers.margin=0.1"),
        ("agents.provers.margin", "removed", "second-price auction"),
    ),
    Bad(
        "old-target-apr",
        simulate("agents.sequencers.target_apr=0.05"),
        ("agents.sequencers.target_apr", "moved or removed", "environment.reservation_yield"),
    ),
    Bad(
        "apr-window-zero",
        simulate("agents.sequencers.apr_window_days=0.0"),
        ("agents.sequencers.apr_window_days", "0", "greater than 0"),
    ),
    Bad(
        "reservation-yield-huge",
        simulate("environment.reservation_yield=50.0"),
        ("environment.reservation_yield", "50", "less than or equal to 10"),
    ),
    Bad(
        "backup-proving-cost-negative",
        simulate("agents.backup.proving_cost_per_block=-1.0"),
        ("agents.backup.proving_cost_per_block", "-1", "greater than or equal to 0"),
    ),
    Bad(
        "block-seconds-tiny",
        simulate("protocol.l1_block_seconds=1.0e-300"),
        ("protocol.l1_block_seconds", "1e-300", "at least 1e-12"),
    ),
    Bad("split-nan", simulate("protocol.reward_split.prover=.nan"), ("reward_split.prover", "nan", "finite")),
    Bad("cost-inf", simulate("agents.provers.cost_per_block=.inf"), ("agents.provers.cost_per_block", "inf")),
    Bad("ramp-inf", simulate("governance.ramp_days=.inf"), ("governance.ramp_days", "inf", "finite")),
    Bad(
        "l1-value-huge",
        simulate("attacks.randao.l1_block_value=1.0e+20"),
        ("l1_block_value", "1e+20", "1e+15"),
    ),
    Bad("base-fee-inf", simulate("protocol.base_fee.initial=.inf"), ("protocol.base_fee.initial", "inf")),
    Bad("slots-1e30", simulate(f"sim.slots={10**30}"), ("sim.slots", str(10**30), "at most 1,000,000,000")),
    Bad("runs-1e14", simulate(f"sim.runs={10**14}"), ("sim.runs", str(10**14), "at most 1,000,000,000")),
    Bad(
        "keys-1e14", simulate(f"agents.sequencers.initial={10**14}"), ("agents.sequencers.initial", "at most")
    ),
    Bad(
        "lag-1e20", simulate(f"protocol.randao_lag_l1_blocks={10**20}"), ("randao_lag_l1_blocks", str(10**20))
    ),
    Bad(
        "slot-blocks-1e12",
        simulate(f"protocol.slot_l1_blocks={10**12}"),
        ("protocol.slot_l1_blocks", "at most"),
    ),
    Bad(
        "proposers-1e10",
        simulate(f"agents.sequencers.proposers_per_slot={10**10}"),
        ("agents.sequencers.proposers_per_slot", "at most"),
    ),
    Bad("churn-1e20", simulate(f"protocol.activation_churn_per_day={10**20}"), ("activation_churn_per_day",)),
    Bad("seed-2e64", simulate(f"sim.seed={2**64}"), ("sim.seed", str(2**64), "less than")),
    Bad("slots-text", simulate("sim.slots=many"), ("sim.slots", "'many'", "integer")),
    # --- rules across fields
    Bad(
        "slot-under-a-second",
        simulate("protocol.l1_block_seconds=0.001"),
        ("protocol.l1_block_seconds", "0.001", "at least 1 second"),
    ),
    Bad(
        "entry-eons", simulate("protocol.entry_period_days=1.0e+15"), ("entry_period_days", "1e+15", "2**52")
    ),
    Bad(
        "vote-window-eons",
        simulate("protocol.upgrade_vote_window_days=1.0e+12"),
        ("upgrade_vote_window_days", "1e+12", "at most 1,000,000,000"),
    ),
    Bad(
        "tx-dust",
        simulate("environment.demand.tx_size=1.0e-9"),
        ("tx_size", "1e-09", "at most 1,000,000,000"),
    ),
    Bad(
        "market-empty",
        simulate("environment.circulating_supply=0"),
        ("environment.circulating_supply = 0", "funds the stake", "protocol.minimum_stake"),
    ),
    Bad(
        "market-short",
        simulate(
            "sim.slots=1440",
            "environment.circulating_supply=150000",
            "agents.sequencers.registrations_per_day=50",
        ),
        ("environment.circulating_supply = 150000", "registrations_per_day = 50", "raise it"),
    ),
    Bad("split-sum", simulate("protocol.reward_split.prover=0.9"), ("protocol.reward_split", "sum to 1")),
    Bad(
        "key-counts-sum",
        simulate(
            "agents.operators.key_distribution=list",
            "agents.operators.count=2",
            "agents.operators.key_counts=[10, 20]",
        ),
        ("agents.operators.key_counts = [10, 20]", "must sum to agents.sequencers.initial = 50", "sum to 30"),
    ),
    Bad(
        "key-counts-length",
        simulate(
            "agents.operators.key_distribution=list",
            "agents.operators.count=3",
            "agents.operators.key_counts=[25, 25]",
        ),
        ("agents.operators.key_counts = [25, 25]", "one entry per operator", "agents.operators.count = 3"),
    ),
    Bad(
        "key-counts-negative",
        simulate(
            "agents.operators.key_distribution=list",
            "agents.operators.count=2",
            "agents.operators.key_counts=[60, -10]",
        ),
        ("agents.operators.key_counts", "greater than or equal to 0"),
    ),
    Bad(
        "renamed-operating-cost",
        simulate("agents.sequencers.operating_cost_per_day=0.003"),
        (
            "agents.sequencers.operating_cost_per_day = 0.003",
            "renamed",
            "agents.operators.fixed_cost_per_day",
        ),
    ),
    # --- runs that cannot fit in memory: refused before they start, naming the estimate and what to lower
    Bad(
        "memory-slots",
        simulate("sim.slots=1000000000", "sim.runs=20", "environment.circulating_supply=1.0e+15"),
        ("sim.slots = 1000000000", "of memory", "the per-slot frame", "lower sim.slots"),
    ),
    Bad(
        "memory-runs",
        simulate("sim.runs=1000000000", "sim.slots=1000"),
        ("sim.runs = 1000000000", "of memory", "available", "lower"),
    ),
    Bad(
        "memory-keys",
        simulate("agents.sequencers.initial=1000000000", "sim.runs=100"),
        ("agents.sequencers.initial = 1000000000", "the key registry", "lower agents.sequencers.initial"),
    ),
    Bad(
        "memory-slot-blocks",
        simulate(
            "protocol.slot_l1_blocks=1000000000", "sim.runs=100", "agents.sequencers.registrations_per_day=0"
        ),
        ("protocol.slot_l1_blocks = 1000000000", "of memory", "confirmation-time histograms"),
    ),
    Bad(
        "memory-proposers",
        simulate("agents.sequencers.proposers_per_slot=1000000000", "sim.runs=1000"),
        ("agents.sequencers.proposers_per_slot = 1000000000", "of memory"),
    ),
    # --- parameter files: encoding, kind, YAML, duplicate keys, base chains; contents never quoted
    Bad(
        "file-not-utf8",
        show(),
        ("p.yaml", "not UTF-8", "offset"),
        {"p.yaml": ON_BASE.encode() + b"sim: {slots: 10} # \xff\xfe\n"},
    ),
    Bad(
        "file-binary",
        show(),
        ("p.yaml", "binary"),
        {"p.yaml": b"\x89PNG\x00\x00\x01" + SECRET.encode()},
        (SECRET,),
    ),
    Bad("file-directory", show("params"), ("params", "is a directory"), {"params": None}),
    Bad("file-missing", show("missing.yaml"), ("missing.yaml", "does not exist")),
    Bad(
        "duplicate-key",
        show(),
        ("p.yaml", "line 2", "'slots' appears twice"),
        {"p.yaml": ON_BASE + "sim: {slots: 200, slots: 300}\n"},
    ),
    Bad(
        "duplicate-section",
        show(),
        ("p.yaml", "line 4", "'sim' appears twice", "first on line 2"),
        {"p.yaml": ON_BASE + "sim:\n  slots: 200\nsim:\n  runs: 2\n"},
    ),
    Bad(
        "duplicate-nested",
        show(),
        ("p.yaml", "'prover' appears twice"),
        {"p.yaml": ON_BASE + "protocol:\n  reward_split:\n    prover: 0.4\n    prover: 0.5\n"},
    ),
    Bad(
        "yaml-broken",
        show(),
        ("p.yaml", "line 2, column", "mapping values are not allowed"),
        {"p.yaml": f"sim: {{slots: 10}}\nkey: a: {SECRET}\n"},
        (SECRET,),
    ),
    Bad("top-list", show(), ("p.yaml", "mapping, not list"), {"p.yaml": f"- {SECRET}\n"}, (SECRET,)),
    Bad("top-text", show(), ("p.yaml", "mapping, not str"), {"p.yaml": f"root:x:0:0:{SECRET}\n"}, (SECRET,)),
    Bad(
        "unknown-section",
        show(),
        ("p.yaml", "'password'", "not a parameter section"),
        {"p.yaml": f"password: {SECRET}\n"},
        (SECRET,),
    ),
    Bad("base-missing", show(), ("nowhere.yaml", "does not exist"), {"p.yaml": "base: nowhere.yaml\n"}),
    Bad("base-not-text", show(), ("p.yaml", "base: must be a file name"), {"p.yaml": "base: [a, b]\n"}),
    Bad("base-directory", show(), ("is a directory",), {"p.yaml": "base: sub\n", "sub": None}),
    Bad("base-circular", show(), ("circular inheritance", "p.yaml"), {"p.yaml": "base: p.yaml\n"}),
    Bad(
        "base-outside-secret",
        show("sub/p.yaml"),
        ("outside.yaml", "'token'", "not a parameter section", "values are not shown"),
        {"outside.yaml": f"token: {SECRET}\n", "sub": None, "sub/p.yaml": "base: ../outside.yaml\n"},
        (SECRET,),
    ),
    Bad(
        "unknown-field",
        show(),
        ("sim.slot", "did you mean 'sim.slots'"),
        {"p.yaml": ON_BASE + "sim: {slot: 10}\n"},
    ),
    Bad(
        "set-no-equals",
        ("params", "show", "{base}", "--set", "sim.slots"),
        ("--set", "sim.slots", "dotted.name=value"),
    ),
    Bad(
        "set-not-a-group",
        ("params", "show", "{base}", "--set", "sim.slots.x=1"),
        ("sim.slots.x", "not a parameter group"),
    ),
    Bad(
        "set-duplicate",
        ("params", "show", "{base}", "--set", "protocol.reward_split={prover: 0.4, prover: 0.5}"),
        ("--set protocol.reward_split", "'prover' appears twice"),
    ),
    # --- price files: named, never echoed
    Bad(
        "price-missing",
        simulate("environment.l1.price_file={tmp}/none.csv"),
        ("price_file", "none.csv", "does not exist"),
    ),
    Bad(
        "price-directory",
        simulate("environment.l1.price_file={tmp}/prices"),
        ("price_file", "prices", "is a directory"),
        {"prices": None},
    ),
    Bad(
        "price-binary",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "p.csv", "binary"),
        {"p.csv": b"\x00\xff\xfe" + SECRET.encode()},
        (SECRET,),
    ),
    Bad(
        "price-not-utf8",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "p.csv", "not UTF-8"),
        {"p.csv": PRICE_HEADER.encode() + b"1,\xff\n"},
    ),
    Bad(
        "price-other-file",
        simulate("environment.l1.price_file={tmp}/passwd"),
        ("price_file", "passwd", "line 1 must be a CSV header"),
        {"passwd": f"root:x:0:0:{SECRET}:/root:/bin/bash\n"},
        (SECRET, "root:x"),
    ),
    Bad(
        "price-1e308",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "line 2, column l1_gas_price", "from 0 to 1e+12"),
        {"p.csv": PRICE_HEADER + "1e308,1\n"},
    ),
    Bad(
        "price-negative",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "line 3, column blob_price", "from 0"),
        {"p.csv": PRICE_HEADER + "1,1\n1,-2\n"},
    ),
    Bad(
        "price-inf",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "line 2, column l1_gas_price"),
        {"p.csv": PRICE_HEADER + "inf,1\n"},
    ),
    Bad(
        "price-text",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "line 2, column blob_price", "must be a number"),
        {"p.csv": PRICE_HEADER + f"1,{SECRET}\n"},
        (SECRET,),
    ),
    Bad(
        "price-no-rows",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "no data rows"),
        {"p.csv": PRICE_HEADER},
    ),
    Bad(
        "price-empty",
        simulate("environment.l1.price_file={tmp}/p.csv"),
        ("price_file", "line 1"),
        {"p.csv": ""},
    ),
    # --- output paths: checked before any work
    Bad(
        "sim-out-directory",
        (*simulate(), "--out", "outdir"),
        ("--out outdir", "is a directory"),
        {"outdir": None},
    ),
    Bad(
        "sim-out-under-file",
        (*simulate(), "--out", "afile/sub/x.parquet"),
        ("--out afile/sub/x.parquet", "afile is a file"),
        {"afile": "x"},
    ),
    Bad("sim-out-unwritable", (*simulate(), "--out", "{ro}/x.parquet"), ("--out", "not writable")),
    Bad("sweep-out-file", sweep("s.yaml"), ("--out sw", "is a file"), {"s.yaml": sweep_yaml(), "sw": "x"}),
    Bad(
        "sweep-out-under-file",
        ("sweep", "s.yaml", "--out", "afile/sub", "--executor", "inline"),
        ("--out afile/sub", "afile is a file"),
        {"s.yaml": sweep_yaml(), "afile": "x"},
    ),
    Bad(
        "sweep-out-unwritable",
        ("sweep", "s.yaml", "--out", "{ro}/sweep", "--executor", "inline"),
        ("--out", "not writable"),
        {"s.yaml": sweep_yaml()},
    ),
    Bad(
        "sweep-out-unrelated",
        sweep(),
        ("--out sw", "holds no sweep"),
        {"s.yaml": sweep_yaml(), "sw": None, "sw/thesis.tex": "x"},
    ),
    Bad(
        "sweep-out-other-sweep",
        sweep(),
        ("--out sw", "sweep 'other'", "not 't'"),
        {"s.yaml": sweep_yaml(), "sw": None, "sw/manifest.json": json.dumps({"name": "other", "points": []})},
    ),
    Bad(
        "sweep-summary-directory",
        sweep(),
        ("--out sw", "summary.csv is a directory"),
        {"s.yaml": sweep_yaml(), "sw": None, "sw/summary.csv": None},
    ),
    Bad(
        "sweep-aggregates-file",
        sweep(),
        ("sw/aggregates", "is a file"),
        {"s.yaml": sweep_yaml(), "sw": None, "sw/aggregates": "x"},
    ),
    Bad(
        "report-out-under-file",
        ("report", "{nb}", "--out", "afile/r"),
        ("--out afile/r", "afile is a file"),
        {"afile": "x"},
    ),
    Bad(
        "figures-out-under-file",
        ("figures", "run.ipynb", "--out", "afile/figs"),
        ("--out afile/figs", "afile is a file"),
        {"afile": "x", "run.ipynb": "{}"},
    ),
    # --- sweep files
    Bad("sweep-not-utf8", sweep(), ("s.yaml", "not UTF-8"), {"s.yaml": b"name: t\nbase: \xff\n"}),
    Bad(
        "sweep-duplicate",
        sweep(),
        ("s.yaml", "'grid' appears twice"),
        {"s.yaml": sweep_yaml() + "grid: {}\ngrid: {}\n"},
    ),
    Bad(
        "sweep-bounds-inf",
        sweep(),
        ("sample.bounds.protocol.block_reward", "inf", "finite numbers"),
        {"s.yaml": sweep_yaml(sample={"n": 2, "bounds": {"protocol.block_reward": [0, float("inf")]}})},
    ),
    Bad(
        "sweep-bounds-nan",
        sweep(),
        ("sample.bounds.protocol.prover_bond", "nan", "finite"),
        {"s.yaml": sweep_yaml(sample={"n": 2, "bounds": {"protocol.prover_bond": [float("nan"), 1.0]}})},
    ),
    Bad(
        "sweep-too-many-points",
        sweep(),
        ("1,000 x 1,000", "1,000,000 points", "at most 100,000"),
        {
            "s.yaml": sweep_yaml(
                grid={"protocol.prover_bond": list(range(1000)), "agents.provers.count": list(range(1000))}
            )
        },
    ),
    Bad(
        "sweep-sample-huge",
        sweep(),
        ("sample.n", "1000000000", "from 1 to 100,000"),
        {"s.yaml": sweep_yaml(sample={"n": 10**9, "bounds": {"protocol.prover_bond": [0, 1]}})},
    ),
    Bad(
        "sweep-grid-inf",
        sweep(),
        ("point 1", "protocol.block_reward = inf", "finite"),
        {"s.yaml": sweep_yaml(grid={"protocol.block_reward": [1.0, float("inf")]})},
    ),
    Bad("sweep-runs-zero", sweep(), ("runs = 0", "integer >= 1"), {"s.yaml": sweep_yaml(runs=0)}),
    Bad("sweep-unknown-key", sweep(), ("grids", "unknown key"), {"s.yaml": sweep_yaml(grids={})}),
    Bad(
        "sweep-memory",
        sweep(),
        ("point 0", "sim.slots = 1000000000", "of memory"),
        {
            "s.yaml": sweep_yaml(
                runs=100,
                overrides={"sim.slots": 10**9, "environment.circulating_supply": 1e15},
                grid={"protocol.prover_bond": [1, 2]},
            )
        },
    ),
    Bad(
        "sweep-workers-zero",
        sweep("s.yaml", "--workers", "0"),
        ("--workers 0", ">= 1"),
        {"s.yaml": sweep_yaml()},
    ),
    Bad(
        "sweep-scheduler-local",
        ("sweep", "s.yaml", "--out", "sw", "--scheduler", "tcp://x:1"),
        ("--scheduler", "--executor dask"),
        {"s.yaml": sweep_yaml()},
    ),
    Bad("sweep-file-missing", sweep("none.yaml"), ("none.yaml", "does not exist")),
    # --- reports: checked before a kernel starts
    Bad(
        "report-unknown",
        report("-p", "slot", "144"),
        ("-p slot = 144", "no such parameter", "did you mean 'slots'"),
    ),
    Bad(
        "report-code-name",
        report("-p", "z=1; import os; os.system('touch pwned'); q", "1"),
        ("not a parameter name", "takes: params_file"),
    ),
    Bad("report-keyword-name", report("-p", "class", "1"), ("-p 'class'", "not a parameter name")),
    Bad(
        "report-slots-text", report("-p", "slots", "abc"), ("-p slots = 'abc'", "must be an integer", "8640")
    ),
    Bad("report-slots-float", report("-p", "slots", "1.5"), ("-p slots = 1.5", "must be an integer")),
    Bad("report-slots-nan", report("-p", "slots", ".nan"), ("-p slots = nan", "finite")),
    Bad("report-runs-negative", report("-p", "runs", "-1"), ("sim.runs = -1", "greater than or equal to 1")),
    Bad(
        "report-overrides-list",
        report("-p", "overrides", "[1, 2]"),
        ("-p overrides = [1, 2]", "must be a mapping"),
    ),
    Bad(
        "report-overrides-inf",
        report("-p", "overrides", "{protocol.block_reward: .inf}"),
        ("protocol.block_reward = inf", "finite"),
    ),
    Bad(
        "report-overrides-duplicate",
        report("-p", "overrides", "{sim.runs: 1, sim.runs: 2}"),
        ("-p value", "appears twice"),
    ),
    Bad("report-f-missing", report("-f", "missing.yaml"), ("-f missing.yaml", "does not exist")),
    Bad("report-f-directory", report("-f", "pdir"), ("-f pdir", "is a directory"), {"pdir": None}),
    Bad(
        "report-f-invalid",
        report("-f", "p.yaml"),
        ("protocol.block_reward = -1", "greater than or equal to 0"),
        {"p.yaml": ON_BASE + "protocol: {block_reward: -1}\n"},
    ),
    Bad("report-timeout-negative", report("--timeout", "-1"), ("--timeout -1", "positive")),
    Bad("report-timeout-zero", report("--timeout", "0"), ("--timeout 0", "positive")),
    Bad("report-timeout-nan", report("--timeout", "nan"), ("--timeout nan", "positive")),
    Bad("report-name-path", report("--name", "../evil"), ("--name '../evil'", "letters, digits")),
    Bad(
        "report-notebook-missing", ("report", "none.py", "--out", "r"), ("notebook none.py", "does not exist")
    ),
    Bad(
        "report-notebook-directory",
        ("report", "nbdir", "--out", "r"),
        ("notebook nbdir", "is a directory"),
        {"nbdir": None},
    ),
    Bad(
        "report-params-file-other",
        report("-p", "params_file", "{tmp}/passwd"),
        ("passwd", "mapping, not str"),
        {"passwd": f"root:x:0:0:{SECRET}\n"},
        (SECRET,),
    ),
    Bad(
        "report-memory",
        report("-p", "slots", "1000000000", "-p", "overrides", "{environment.circulating_supply: 1.0e+15}"),
        ("sim.slots = 1000000000", "of memory"),
    ),
    # --- figures
    Bad("figures-missing", ("figures", "missing.html"), ("missing.html", "does not exist")),
    Bad("figures-directory", ("figures", "adir"), ("adir", "is not a file"), {"adir": None}),
    Bad(
        "figures-html-alone",
        ("figures", "r.html"),
        ("r.html", "no executed notebook r.ipynb"),
        {"r.html": "<html>"},
    ),
    Bad(
        "figures-code-name",
        ("figures", "{nb}", "-p", "x=1;import os", "1"),
        ("not a parameter name",),
    ),
]


def test_the_table_covers_enough_bad_inputs() -> None:
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_fails_cleanly_and_writes_nothing(
    case: Bad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if any("{ro}" in a for a in case.argv) and UNWRITABLE is None:
        pytest.skip("no unwritable directory here (not root and no read-only /sys)")
    monkeypatch.chdir(tmp_path)
    for name, content in case.files.items():
        path = tmp_path / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
    before = _tree(tmp_path)
    places = {"{tmp}": str(tmp_path), "{base}": str(BASELINE), "{nb}": str(NOTEBOOK), "{ro}": str(UNWRITABLE)}

    def fill(text: str) -> str:
        for place, value in places.items():
            text = text.replace(place, value)
        return text

    code = main([fill(a) for a in case.argv])
    out, err = capsys.readouterr()
    assert code == case.code, err
    assert "Traceback" not in err + out
    for text in case.expect:
        assert fill(text) in err, f"{text!r} not in:\n{err}"
    for text in case.absent:
        assert text not in err + out
    assert _tree(tmp_path) == before, "something was written"
    assert not (PROJECT_ROOT / "pwned").exists() and not (tmp_path / "pwned").exists()


# ---------------------------------------------------------------------------------------------------------------------
# Security: no code from parameter names, no markup from values, no file contents in errors


def test_execute_notebook_refuses_a_parameter_name_that_is_code(tmp_path: Path) -> None:
    from aztec_econ.publish.reports import execute_notebook

    name = f"x = 1; open({str(tmp_path / 'pwned')!r}, 'w'); y"
    with pytest.raises(ValueError, match="not a Python identifier"):
        execute_notebook(NOTEBOOK, {name: 1})
    assert not (tmp_path / "pwned").exists()


def test_parameters_are_parsed_from_the_cell_not_executed(tmp_path: Path) -> None:
    import nbformat

    from aztec_econ.publish.reports import notebook_parameters

    cell = nbformat.v4.new_code_cell(
        f"a = 1\nb = open({str(tmp_path / 'ran')!r}, 'w')\nc: float = 0.5\n",
        metadata={"tags": ["parameters"]},
    )
    declared = notebook_parameters(nbformat.v4.new_notebook(cells=[cell]))
    assert list(declared) == ["a", "b", "c"]
    assert (declared["a"].default, declared["b"].literal, declared["c"].default) == (1, False, 0.5)
    assert not (tmp_path / "ran").exists()


def _shown_markdown(text: str, **kw: Any) -> str:
    import IPython.display

    from aztec_econ.publish import notebook

    shown: list[Any] = []
    original = IPython.display.display
    IPython.display.display = lambda obj, *a, **k: shown.append(obj)
    try:
        notebook.md(text, **kw)
    finally:
        IPython.display.display = original
    return str(shown[0].data)


def test_md_shows_markup_from_a_value_as_text() -> None:
    value = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    shown = _shown_markdown(
        f"The file **{value}** and `<code>` & [x](javascript:alert(3)) [ok](https://a.org)"
    )
    assert "<script" not in shown and "<img" not in shown and "](javascript:" not in shown
    assert "&lt;script>" in shown and "**" in shown and "`<code>`" in shown and "[ok](https://a.org)" in shown


def test_md_keeps_markup_the_notebook_wrote_when_asked() -> None:
    assert _shown_markdown("<b>bold</b>", html=True) == "<b>bold</b>"


def test_markdown_escaping_renders_the_value_literally() -> None:
    import mistune

    from aztec_econ.publish.notebook import escape_markdown_html

    html = mistune.html(escape_markdown_html("x < y, <script>alert(1)</script> & R&amp;D"))
    assert "<script>" not in html and "&lt;script&gt;" in html.replace("&lt;script>", "&lt;script&gt;")


def test_the_sweep_summary_page_escapes_swept_values() -> None:
    from aztec_econ.publish.sweep_report import summary_html
    from aztec_econ.sweep.store import PointRecord

    value = "/data/<script>alert(1)</script>.csv"
    summary = pd.DataFrame(
        [
            {
                "point_id": "0123456789abcdef",
                "index": 0,
                "environment.l1.price_file": value,
                "share_happy_mean": 0.5,
                "share_happy_ci_low": 0.4,
                "share_happy_ci_high": 0.6,
            }
        ]
    )
    records = [PointRecord("0123456789abcdef", 0, {"environment.l1.price_file": value}, {}, status="done")]
    page = summary_html(grid_spec({"sim.slots": 10}, name="s"), summary, records)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="s-0123456789abcdef.html"' in page


@pytest.mark.parametrize(
    "where",
    ["parameter file", "base file", "price file", "sweep file", "notebook parameter file"],
)
def test_errors_never_quote_the_contents_of_a_file(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text(f"api_key: {SECRET}\nline two: {SECRET}: x\n")
    (tmp_path / "p.yaml").write_text(f"base: {secret}\n")
    argv = {
        "parameter file": ["params", "show", str(secret)],
        "base file": ["params", "show", "p.yaml"],
        "price file": ["simulate", str(BASELINE), *SMALL, "--set", f"environment.l1.price_file={secret}"],
        "sweep file": ["sweep", str(secret), "--out", "sw"],
        "notebook parameter file": ["report", str(NOTEBOOK), "-f", str(secret), "--out", "r"],
    }[where]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(secret) in err and SECRET not in err


# ---------------------------------------------------------------------------------------------------------------------
# Faults: locks, interrupts, dead clients, unreachable schedulers, failed writes, reports as a unit


def _tiny_sweep(tmp_path: Path, name: str = "t", bonds: tuple[int, ...] = (100, 200, 300)) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "base": str(BASELINE),
                "runs": 1,
                "overrides": {"sim.slots": 10, "agents.sequencers.initial": 20},
                "grid": {"protocol.prover_bond": list(bonds)},
            }
        )
    )
    return path


def test_a_second_sweep_into_a_locked_directory_fails_then_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = _tiny_sweep(tmp_path), tmp_path / "out"
    holder = Store(out)
    holder.open("t")  # a running sweep holds the lock
    try:
        code = main(["sweep", str(path), "--out", str(out), "--executor", "inline", "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and "another sweep is writing into it" in err and f"pid {os.getpid()}" in err
        assert not (out / "manifest.json").exists()
    finally:
        holder.close()
    assert main(["sweep", str(path), "--out", str(out), "--executor", "inline", "--no-progress"]) == 0
    assert "done 3, failed 0, skipped 0" in capsys.readouterr().err


def test_the_lock_of_a_sweep_that_died_is_released(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from aztec_econ.sweep.store import Store; s = Store({str(out)!r}); s.open('t');"
            "print('locked', flush=True); import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(StoreError, match="another sweep is writing"):
        Store(out).open("t")
    holder.kill()
    holder.wait()
    store = Store(out)
    store.open("t")
    store.close()


def _interrupt_second(spec: Any, point: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    from aztec_econ.sweep.tasks import simulate_point

    if point.index == 1:
        return _raise_interrupt, ()
    return simulate_point, (point.params.to_json(),)


def _raise_interrupt() -> PointOutcome:
    raise KeyboardInterrupt


def test_ctrl_c_during_a_sweep_says_how_far_it_got_and_a_rerun_resumes(tmp_path: Path) -> None:
    path, out = _tiny_sweep(tmp_path), tmp_path / "out"
    kind = PointKind(name="simulation", task=_interrupt_second)
    with pytest.raises(SweepInterrupted) as stop:
        run_sweep(path, out, "inline", kind=kind, progress=False, probe=False, stream=io.StringIO())
    assert str(stop.value).startswith("interrupted: 1 of 3 points done; rerun the same command to resume")
    assert json.loads((out / "manifest.json").read_text())["counts"]["done"] == 1
    again = run_sweep(path, out, "inline", progress=False, probe=False, stream=io.StringIO())
    assert (again.done, again.skipped) == (2, 1)


def test_the_sweep_command_exits_130_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import aztec_econ.sweep.runner as runner

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise SweepInterrupted("t", 2, 5, tmp_path / "out")

    monkeypatch.setattr(runner, "run_sweep", interrupted)
    path = _tiny_sweep(tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "inline"]) == 130
    err = capsys.readouterr().err
    assert (
        "interrupted: 2 of 5 points done; rerun the same command to resume" in err and "Traceback" not in err
    )


def test_a_point_whose_outputs_cannot_be_written_fails_and_the_summaries_agree(tmp_path: Path) -> None:
    path, out = _tiny_sweep(tmp_path), tmp_path / "out"
    from aztec_econ.sweep.spec import load_sweep

    blocked = load_sweep(path).points[2].id
    (out / "points" / f"{blocked}.parquet").mkdir(parents=True)
    result = run_sweep(path, out, "inline", progress=False, probe=False, stream=io.StringIO())
    assert (result.done, result.failed) == (2, 1)
    assert "writing the point's outputs" in (result.records[2].error or "")
    parquet, csv = pd.read_parquet(out / "summary.parquet"), pd.read_csv(out / "summary.csv")
    assert list(parquet["point_id"]) == list(csv["point_id"]) == [p.id for p in result.records[:2]]


def test_summaries_are_left_alone_when_one_of_them_cannot_be_replaced(tmp_path: Path) -> None:
    (tmp_path / "summary.parquet").write_bytes(b"old")
    (tmp_path / "summary.csv").mkdir()
    with pytest.raises(IsADirectoryError):
        files.replace_together(tmp_path, {"summary.parquet": b"new", "summary.csv": "new"})
    assert (tmp_path / "summary.parquet").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv", "summary.parquet"]


def test_a_unit_interrupted_between_its_moves_is_completed_by_the_next_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.html", "a.ipynb", "index.json"):
        (tmp_path / name).write_text("old")
    real, moves = os.replace, []

    def dying(src: Any, dst: Any) -> None:
        moves.append(dst)
        if len(moves) == 3:  # the journal, the page, then death: as if killed between two moves
            raise SystemExit("killed")
        real(src, dst)

    monkeypatch.setattr(files.os, "replace", dying)
    with pytest.raises(SystemExit):
        files.replace_together(tmp_path, {"a.html": "new", "a.ipynb": "new", "index.json": "new"})
    monkeypatch.setattr(files.os, "replace", real)
    contents = {n: (tmp_path / n).read_text() for n in ("a.html", "a.ipynb", "index.json")}
    assert sorted(contents.values()) == ["new", "old", "old"]  # mixed, with a journal naming the rest
    assert files.recover_replacements(tmp_path, names=contents) == 1
    assert {n: (tmp_path / n).read_text() for n in contents} == dict.fromkeys(contents, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.ipynb", "index.json"]


def test_orphan_temporaries_of_a_writer_killed_before_its_journal_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("old")
    (tmp_path / ".a.html.x1y2z3.tmp").write_text("partial")
    files.replace_together(tmp_path, {"a.html": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html"]
    assert (tmp_path / "a.html").read_text() == "new"


def test_output_checks_write_nothing(tmp_path: Path) -> None:
    files.check_output_dir(tmp_path / "new" / "dir")
    files.check_output_file(tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_validation_refuses_what_the_ledger_could_not_fund_but_accepts_the_baseline() -> None:
    assert load_params().environment.circulating_supply == 1e9
    with pytest.raises(ParamsError, match="circulating_supply = 0: the market funds the stake"):
        load_params(overrides={"environment.circulating_supply": 0})
    load_params(overrides={"environment.circulating_supply": 0, "agents.sequencers.registrations_per_day": 0})


@pytest.mark.slow
def test_an_unreachable_dask_scheduler_fails_within_ten_seconds_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _tiny_sweep(tmp_path)
    start = time.monotonic()
    argv = ["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "dask"]
    code = main([*argv, "--scheduler", "tcp://127.0.0.1:1", "--no-progress"])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2 and "--scheduler tcp://127.0.0.1:1: no Dask scheduler answered" in err
    assert elapsed < 10 and not (tmp_path / "out").exists()


def _long_sweep_client(
    tmp_path: Path, output: Any = subprocess.DEVNULL, executor: str = "local"
) -> subprocess.Popen[str]:
    """A sweep of four long points on two workers, in its own process group (as a terminal runs it)."""
    path = tmp_path / "long.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "long",
                "base": str(BASELINE),
                "runs": 1,
                "overrides": {"sim.slots": 20000, "agents.sequencers.initial": 20},
                "grid": {"protocol.prover_bond": [1, 2, 3, 4]},
            }
        )
    )
    argv = ["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "2", "--executor", executor]
    argv.append("--no-progress")
    return subprocess.Popen(
        [sys.executable, "-m", "aztec_econ.cli", *argv],
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_ctrl_c_on_a_sweep_with_workers_prints_one_line_and_exits_130(executor: str, tmp_path: Path) -> None:
    client = _long_sweep_client(tmp_path, subprocess.PIPE, executor)
    deadline = time.monotonic() + 90
    while not (tmp_path / "out" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # the points are running on the workers
    os.killpg(client.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
    text, _ = client.communicate(timeout=60)
    assert client.returncode == 130, text
    assert "interrupted: 0 of 4 points done; rerun the same command to resume" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and "Warning" not in text


@pytest.mark.slow
def test_pool_workers_exit_when_their_client_is_killed(tmp_path: Path) -> None:
    client = _long_sweep_client(tmp_path)

    def group() -> list[str]:
        found = subprocess.run(
            ["pgrep", "-g", str(client.pid)], capture_output=True, text=True
        ).stdout.split()
        return [p for p in found if p != str(client.pid)]

    deadline = time.monotonic() + 90
    while (
        len(group()) < 3 and time.monotonic() < deadline
    ):  # fork server, two workers (and a resource tracker)
        time.sleep(0.5)
    assert len(group()) >= 3
    client.send_signal(signal.SIGKILL)
    client.wait()
    deadline = time.monotonic() + 10
    while group() and time.monotonic() < deadline:
        time.sleep(0.5)
    left = group()
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)
    assert left == []
