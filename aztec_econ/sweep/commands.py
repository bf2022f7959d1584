"""The sweep layer's commands on the `aztec-econ` parser: `sweep`, `analyze` (`sensitivity`, `scenarios`) and
`optimize`.

Building the parser is all this module does at import: it imports nothing beyond the standard library and
`aztec_econ.sweep.executors` (which imports only the standard library), so `aztec-econ --help` does not pay for
pandas, Optuna or SALib. Each handler imports its command's implementation when it runs (`runner.cmd_sweep`,
`analysis.cmd_sensitivity`, `analysis.cmd_scenarios`, `optimize.cmd_optimize`).

Two constants the options show are copies of the implementation's (`DESIGN_METHODS`, `DEFAULT_THRESHOLD`): importing
the originals would import pandas (tests/test_cli_startup.py checks that the copies agree).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aztec_econ.sweep.executors import EXECUTORS

DESIGN_METHODS = ("sobol", "morris")
"""`aztec_econ.sweep.spec.DESIGN_METHODS`: the sampling methods `analyze sensitivity` computes indices for."""
DEFAULT_THRESHOLD = 0.8
"""`aztec_econ.analysis.scenarios.DEFAULT_THRESHOLD`: the least density of a PRIM box."""
STUDIES_DIR_NAME = "studies"
"""Where optimisation files live (`params/studies/`)."""


def cmd_sweep(args: argparse.Namespace) -> int:
    """`aztec-econ sweep` (`aztec_econ.sweep.runner.cmd_sweep`, imported when it runs)."""
    from aztec_econ.sweep.runner import cmd_sweep as run

    return run(args)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """`aztec-econ analyze sensitivity` (`aztec_econ.sweep.analysis.cmd_sensitivity`, imported when it runs)."""
    from aztec_econ.sweep.analysis import cmd_sensitivity as run

    return run(args)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """`aztec-econ analyze scenarios` (`aztec_econ.sweep.analysis.cmd_scenarios`, imported when it runs)."""
    from aztec_econ.sweep.analysis import cmd_scenarios as run

    return run(args)


def cmd_optimize(args: argparse.Namespace) -> int:
    """`aztec-econ optimize` (`aztec_econ.sweep.optimize.cmd_optimize`, imported when it runs)."""
    from aztec_econ.sweep.optimize import cmd_optimize as run

    return run(args)


def register_sweep(
    subparsers: Any, kind_options: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.ArgumentParser:
    """Add the `sweep` subcommand to the `aztec-econ` parser and return its parser; `kind_options` adds the options
    of other point kinds (after `--workers`), whose handler then replaces `cmd_sweep`."""
    sweep = subparsers.add_parser("sweep", help="run (or resume) a parameter sweep")
    sweep.add_argument("file", type=Path, help="sweep file (params/sweeps/*.yaml)")
    sweep.add_argument("--out", type=Path, required=True, help="output directory (created; reruns resume)")
    sweep.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local process pool, Dask, or inline (this process, one point at a time)",
    )
    sweep.add_argument(
        "--scheduler", help="Dask scheduler address, e.g. tcp://head:8786 (with --executor dask)"
    )
    sweep.add_argument("--workers", type=int, help="worker processes (default: the core count)")
    if kind_options is not None:
        kind_options(sweep)
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter of every point (repeatable; changes the point ids)",
    )
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)
    return sweep


def register_analyze(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `analyze` subcommand (`sensitivity`, `scenarios`) to the `aztec-econ` parser."""
    analyze = subparsers.add_parser("analyze", help="analyse a finished sweep: sensitivity, scenarios")
    sub = analyze.add_subparsers(dest="analyze_command", required=True)
    sens = sub.add_parser(
        "sensitivity", help="Sobol' indices or Morris measures of a sweep sampled with method sobol or morris"
    )
    sens.add_argument("dir", type=Path, help="the sweep's output directory")
    sens.add_argument("--kpi", action="append", metavar="K", help="a KPI (repeatable; default: every KPI)")
    sens.add_argument("--method", choices=DESIGN_METHODS, help="require this method (default: the sweep's)")
    sens.add_argument("--json", action="store_true", help="print {kpi: {parameter: {index: value}}} as JSON")
    sens.set_defaults(handler=cmd_sensitivity)
    scen = sub.add_parser("scenarios", help="PRIM boxes of the swept parameters where conditions hold")
    scen.add_argument("dir", type=Path, help="the sweep's output directory")
    scen.add_argument(
        "--where",
        action="append",
        required=True,
        metavar="COND",
        help="'kpi OP number' on KPI means (repeatable, or joined with ' and '), e.g. 'share_skipped > 0.01'",
    )
    scen.add_argument(
        "--conservative", action="store_true", help="a point counts only if its whole 95%% interval does"
    )
    scen.add_argument(
        "--threshold", type=float, default=DEFAULT_THRESHOLD, help="least density of a box (default 0.8)"
    )
    scen.add_argument("--boxes", type=int, default=2, help="most boxes to find (default 2)")
    scen.add_argument("--json", action="store_true", help="print the boxes as JSON")
    scen.set_defaults(handler=cmd_scenarios)
    return analyze


def register_optimize(subparsers: Any) -> argparse.ArgumentParser:
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
