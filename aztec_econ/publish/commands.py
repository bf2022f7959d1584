"""The publishing layer's commands on the `aztec-econ` parser: `report`, `figures`, `compare`, and `sweep` with its
`--notebook` option (the sweep layer's parser, `aztec_econ.sweep.commands.register_sweep`).

Building the parser is all this module does at import: it imports nothing beyond the standard library and the sweep
layer's light parser module, so `aztec-econ --help` does not pay for nbformat, papermill, plotly or pandas. Each
handler imports its command's implementation when it runs (`reports.cmd_report`, `figures.cmd_figures`,
`compare.cmd_compare`, `notebook_sweep.cmd_notebook_sweep`).

The constants the options show are copies of the implementation's (`DEFAULT_TIMEOUT`, `COMPARE_NAME`,
`COMPARE_DESCRIPTION`): importing the originals would import the implementation (tests/test_cli_startup.py checks
that the copies agree).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aztec_econ.sweep.commands import register_sweep as register_simulation_sweep

DEFAULT_TIMEOUT = 600.0
"""`aztec_econ.publish.execution.DEFAULT_TIMEOUT`: the longest a notebook cell may run [seconds]."""
COMPARE_NAME = "compare"
"""`aztec_econ.publish.compare.DEFAULT_NAME`: the comparison report's default name."""
COMPARE_DESCRIPTION = """Every scenario (a parameter file, e.g. one of `params/scenarios/`) is simulated with the same horizon, runs and seed:
common random numbers, so run i of each scenario draws the same random streams and the differences between
scenarios are differences of the mechanisms, not of the draws. The comparison report `DIR/NAME.html` shows"""
"""The `compare` command's description: the second paragraph of `aztec_econ.publish.compare`'s docstring."""

PARAMETER_ARGUMENT: dict[str, Any] = {
    "dest": "parameters",
    "nargs": 2,
    "action": "append",
    "metavar": ("NAME", "VALUE"),
    "help": "notebook parameter (value parsed as YAML; repeatable)",
}
"""The `-p NAME VALUE` option of the commands that run notebooks."""


def cmd_report(args: argparse.Namespace) -> int:
    """`aztec-econ report` (`aztec_econ.publish.reports.cmd_report`, imported when it runs)."""
    from aztec_econ.publish.reports import cmd_report as run

    return run(args)


def cmd_figures(args: argparse.Namespace) -> int:
    """`aztec-econ figures` (`aztec_econ.publish.figures.cmd_figures`, imported when it runs)."""
    from aztec_econ.publish.figures import cmd_figures as run

    return run(args)


def cmd_compare(args: argparse.Namespace) -> int:
    """`aztec-econ compare` (`aztec_econ.publish.compare.cmd_compare`, imported when it runs)."""
    from aztec_econ.publish.compare import cmd_compare as run

    return run(args)


def cmd_sweep(args: argparse.Namespace) -> int:
    """`aztec-econ sweep`, with or without `--notebook` (`aztec_econ.publish.notebook_sweep.cmd_notebook_sweep`,
    imported when it runs)."""
    from aztec_econ.publish.notebook_sweep import cmd_notebook_sweep as run

    return run(args)


def register_report(subparsers: Any) -> None:
    """Add the `report` subcommand to the `aztec-econ` parser."""
    report = subparsers.add_parser("report", help="execute a notebook and publish it as an HTML report")
    report.add_argument("notebook", type=Path, help="notebook (.ipynb or jupytext .py)")
    report.add_argument("-p", "--parameter", **PARAMETER_ARGUMENT)
    report.add_argument("-f", "--params-file", type=Path, help="parameter file passed as `params_file`")
    report.add_argument(
        "--out", type=Path, default=Path("reports"), help="reports directory (default: reports)"
    )
    report.add_argument("--name", help="report name (default: the notebook's file name)")
    report.add_argument("--title", help="report title (default: the notebook's first heading)")
    report.add_argument(
        "--overwrite-failed", action="store_true", help="let a failed run replace an earlier good report"
    )
    report.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-cell limit [seconds]")
    report.add_argument(
        "--self-contained",
        action="store_true",
        help="embed plotly.js in the page (about 4.6 MB) instead of loading it from the reports folder",
    )
    report.set_defaults(handler=cmd_report)


def register_figures(subparsers: Any) -> None:
    """Add the `figures` subcommand to the `aztec-econ` parser."""
    figures = subparsers.add_parser(
        "figures", help="export a notebook's or report's plotly figures as PNG/SVG"
    )
    figures.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        help="executed .ipynb, report .html (its .ipynb beside it) or a notebook to run",
    )
    figures.add_argument("--format", choices=("png", "svg"), default="png")
    figures.add_argument("--out", type=Path, default=Path("reports/figures"), help="output directory")
    figures.add_argument("-p", "--parameter", **PARAMETER_ARGUMENT)
    figures.set_defaults(handler=cmd_figures)


def register_compare(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `compare` subcommand to the `aztec-econ` parser."""
    parser = subparsers.add_parser(
        "compare",
        help="simulate scenarios with common random numbers and report their KPIs side by side",
        description=COMPARE_DESCRIPTION,
    )
    parser.add_argument("files", type=Path, nargs="+", help="parameter files; the first is the reference")
    parser.add_argument("--out", type=Path, required=True, help="reports directory (created)")
    parser.add_argument(
        "--slots", type=int, help="horizon of every scenario [slots] (default: the first file's)"
    )
    parser.add_argument(
        "--runs", type=int, help="Monte Carlo runs of every scenario (default: the first file's)"
    )
    parser.add_argument("--seed", type=int, help="seed of every scenario (default: the first file's)")
    parser.add_argument("--names", help="comma-separated scenario names (default: the files' stems)")
    parser.add_argument("--name", default=COMPARE_NAME, help="report name: OUT/NAME.html")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter of every scenario (repeatable)",
    )
    parser.add_argument("--self-contained", action="store_true", help="embed plotly.js in the page")
    parser.set_defaults(handler=cmd_compare)
    return parser


def _notebook_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notebook", type=Path, help="execute this notebook per point instead of a bare simulation"
    )


def register_sweep(subparsers: Any) -> None:
    """Add the `sweep` subcommand (`aztec_econ.sweep.commands.register_sweep`) with its `--notebook` option."""
    parser = register_simulation_sweep(subparsers, kind_options=_notebook_option)
    parser.set_defaults(handler=cmd_sweep)
