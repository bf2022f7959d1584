"""The `aztec-econ` command: simulate, inspect parameters, list the steps of a slot, report, export figures, sweep,
analyze, optimize, compare scenarios, docs.

Exit codes: 0 success, 1 a run failed, 2 invalid parameters, input files, output paths or usage (nothing ran and
nothing was written), 130 interrupted (Ctrl-C). Every error is one message naming the field or file, the value and
the rule, never a traceback. The command exits without the interpreter's teardown where nothing needs it
(`exit_now`: about 0.4 s of a short simulation's).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from aztec_econ.files import InputFileError, OutputPathError, check_output_file
from aztec_econ.params import (
    BASELINE,
    ParamsError,
    assumptions,
    assumptions_markdown,
    json_schema,
    load_params,
    parse_override,
)
from aztec_econ.publish.commands import register_compare, register_figures, register_report, register_sweep
from aztec_econ.sweep.commands import register_analyze, register_optimize


def _overrides(pairs: Sequence[str] | None) -> dict[str, object]:
    return dict(parse_override(p) for p in pairs or ())


def _add_params_arguments(parser: argparse.ArgumentParser, file_required: bool = True) -> None:
    if file_required:
        parser.add_argument("params", type=Path, help="parameter file (YAML)")
    else:
        parser.add_argument(
            "params", type=Path, nargs="?", default=BASELINE, help="parameter file (default: baseline)"
        )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter (repeatable)",
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    import pandas as pd

    from aztec_econ.analysis.kpis import summary
    from aztec_econ.simulation import check_inputs, simulate

    params = load_params(args.params, _overrides(args.overrides))
    check_inputs(params, origin=str(args.params))
    if args.out:
        check_output_file(args.out)
    print(
        f"simulating {params.sim.runs} runs x {params.sim.slots} slots "
        f"({params.sim.slots / params.protocol.slots_per_day:.1f} days), "
        f"{params.agents.sequencers.initial} initial keys, seed {params.sim.seed}",
        file=sys.stderr,
    )
    start = time.perf_counter()
    traj = simulate(params)
    elapsed = time.perf_counter() - start
    print(
        f"done in {elapsed:.1f} s ({params.sim.runs * params.sim.slots / elapsed:,.0f} slot-runs/s)",
        file=sys.stderr,
    )
    if args.out:
        print(f"wrote {traj.to_parquet(args.out)}", file=sys.stderr)
    with pd.option_context(
        "display.width", 140, "display.max_rows", 100, "display.float_format", "{:,.4g}".format
    ):
        print(summary(traj))
    return 0


def cmd_equilibrium(args: argparse.Namespace) -> int:
    from aztec_econ.equilibrium import free_entry
    from aztec_econ.simulation import check_inputs

    params = load_params(args.params, _overrides(args.overrides))
    check_inputs(params, origin=str(args.params))
    print(
        f"free entry of {args.role}: bisection on simulated APRs ({params.sim.runs} runs x {params.sim.slots} "
        f"slots each, seed {params.sim.seed}) against the reservation yield "
        f"{params.environment.reservation_yield:g}",
        file=sys.stderr,
    )
    try:
        eq = free_entry(params, args.role)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"role              {eq.role}")
    print(f"count             {eq.count:,.2f}")
    print(f"95% interval      {eq.low:,.2f} - {eq.high:,.2f}")
    print(f"APR at the count  {eq.apr:.4f}")
    print(f"reservation yield {eq.reservation_yield:.4f}")
    print(
        "simulated counts  " + ", ".join(f"{n}: {a:.4f} +- {s:.4f}" for n, (a, s) in eq.evaluations.items())
    )
    return 0


def cmd_params_show(args: argparse.Namespace) -> int:
    import yaml

    params = load_params(args.params, _overrides(args.overrides))
    print(yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False), end="")
    return 0


def cmd_params_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_params_assumptions(args: argparse.Namespace) -> int:
    params = load_params(args.params, _overrides(args.overrides))
    rows = assumptions(params)
    width = max(len(name) for name, *_ in rows)
    for name, value, unit, doc in rows:
        print(f"{name:<{width}}  {value!s:>12} {unit:<12} {doc}")
    return 0


def cmd_params_doc(args: argparse.Namespace) -> int:
    print(assumptions_markdown(load_params(args.params, _overrides(args.overrides))), end="")
    return 0


def cmd_docs_outputs(args: argparse.Namespace) -> int:
    from aztec_econ.analysis.outputs_doc import outputs_markdown

    print(outputs_markdown(), end="")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from aztec_econ.model.blocks import describe

    print(describe())
    return 0


EXAMPLES: dict[str, list[str]] = {
    "": [
        "aztec-econ simulate params/baseline.yaml --set sim.slots=1440 --set sim.runs=3",
        "aztec-econ report notebooks/01_baseline_network_health.py -p slots 1440",
        "aztec-econ compare params/baseline.yaml params/scenarios/fee_burn.yaml --out reports --slots 1440 --runs 3",
        "aztec-econ sweep params/sweeps/reward_split_x_prover_bond.yaml --out out/split_bond",
    ],
    "simulate": [
        "aztec-econ simulate params/baseline.yaml --set sim.slots=1440 --set sim.runs=3",
        "aztec-econ simulate params/scenarios/high_l1_gas.yaml --out out/high_gas.parquet",
    ],
    "params": ["aztec-econ params show params/scenarios/fee_burn.yaml"],
    "params show": ["aztec-econ params show params/baseline.yaml --set protocol.prover_bond=2000"],
    "params schema": ["aztec-econ params schema > params.schema.json"],
    "params assumptions": ["aztec-econ params assumptions params/scenarios/heavy_censorship.yaml"],
    "params doc": ["aztec-econ params doc > ASSUMPTIONS.md"],
    "docs": ["aztec-econ docs outputs > docs/outputs.md"],
    "docs outputs": ["aztec-econ docs outputs > docs/outputs.md"],
    "model": ["aztec-econ model"],
    "report": [
        "aztec-econ report notebooks/01_baseline_network_health.py -p slots 4320 -p runs 5",
        "aztec-econ report notebooks/03_rewards_bonds_and_slashing.py -f params/scenarios/fee_burn.yaml --name fee_burn",
    ],
    "figures": [
        "aztec-econ figures reports/01_baseline_network_health.html --format svg --out reports/figures"
    ],
    "sweep": [
        "aztec-econ sweep params/sweeps/reward_split_x_prover_bond.yaml --out out/split_bond --workers 2",
        "aztec-econ sweep FILE --out DIR --notebook notebooks/01_baseline_network_health.py --set sim.slots=288",
    ],
    "analyze": ['aztec-econ analyze scenarios out/lhs --where "share_skipped > 0.01"'],
    "analyze sensitivity": [
        "aztec-econ analyze sensitivity out/sobol --kpi share_backup --kpi share_skipped"
    ],
    "analyze scenarios": [
        'aztec-econ analyze scenarios out/lhs --where "share_skipped > 0.01" --where "share_happy < 0.9"'
    ],
    "optimize": [
        "aztec-econ optimize params/studies/liveness_vs_issuance.yaml --trials 50 --out out/search",
        "aztec-econ optimize params/studies/liveness_vs_issuance.yaml --trials 100 --out out/search --workers 2",
    ],
    "compare": [
        "aztec-econ compare params/baseline.yaml params/scenarios/high_l1_gas.yaml --out reports --slots 4320 --runs 5",
        "aztec-econ compare params/baseline.yaml params/scenarios/*.yaml --out reports/scenarios --slots 1440 --runs 3",
    ],
}
"""An example per command (`aztec-econ CMD --help` shows them), keyed by the command's words."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help with each option's default (when it has a meaningful one) and the description and examples as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, argparse.SUPPRESS)
            or not action.option_strings
            or isinstance(default, list)
        ):
            return text
        return f"{text} (default: {default})"


def _polish(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Give `parser` and every subcommand parser below it the help formatter and their examples."""
    parser.formatter_class = HelpFormatter
    examples = EXAMPLES.get(path)
    if examples:
        parser.epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _polish(sub, f"{path} {name}".strip())


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("aztec-econ")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aztec-econ", description=__doc__)
    parser.add_argument("--version", action="version", version=f"aztec-econ {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = sub.add_parser("simulate", help="run a simulation and print its KPIs")
    _add_params_arguments(sim)
    sim.add_argument("--out", type=Path, help="write the per-(run, slot) frame to this Parquet file")
    sim.set_defaults(handler=cmd_simulate)

    params = sub.add_parser("params", help="inspect parameters: show, schema, assumptions, doc")
    psub = params.add_subparsers(dest="params_command", required=True, metavar="SUBCOMMAND")
    show = psub.add_parser("show", help="print the resolved parameters of a file")
    _add_params_arguments(show)
    show.set_defaults(handler=cmd_params_show)
    schema = psub.add_parser("schema", help="print the JSON Schema of parameter files")
    schema.set_defaults(handler=cmd_params_schema)
    assume = psub.add_parser("assumptions", help="list the parameters whose values are assumptions")
    _add_params_arguments(assume, file_required=False)
    assume.set_defaults(handler=cmd_params_assumptions)
    doc = psub.add_parser("doc", help="print ASSUMPTIONS.md: every parameter, its value, unit and source")
    _add_params_arguments(doc, file_required=False)
    doc.set_defaults(handler=cmd_params_doc)

    docs = sub.add_parser("docs", help="generate documentation from the model's declarations")
    dsub = docs.add_subparsers(dest="docs_command", required=True, metavar="SUBCOMMAND")
    outputs = dsub.add_parser(
        "outputs", help="print docs/outputs.md: every output table's columns and every KPI"
    )
    outputs.set_defaults(handler=cmd_docs_outputs)

    eq = sub.add_parser(
        "equilibrium",
        help="free-entry count of sequencer keys or provers: where the role's APR equals the reservation yield",
    )
    _add_params_arguments(eq)
    eq.add_argument(
        "--role", choices=("sequencers", "provers"), required=True, help="whose count to solve for"
    )
    eq.set_defaults(handler=cmd_equilibrium)

    model = sub.add_parser("model", help="list the steps of a slot, in order")
    model.set_defaults(handler=cmd_model)

    register_report(sub)
    register_figures(sub)
    register_sweep(sub)
    register_analyze(sub)
    register_optimize(sub)
    register_compare(sub)
    _polish(parser)
    return parser


INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (ParamsError, InputFileError, OutputPathError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"interrupted: aztec-econ {args.command} stopped; nothing more was written "
            "(finished outputs are kept; sweeps resume where they stopped)",
            file=sys.stderr,
        )
        return INTERRUPTED


def run() -> None:
    """The `aztec-econ` console script: `main`, then `exit_now` with its exit code. (`--help` and usage errors leave
    through argparse's `SystemExit`, the interpreter's own exit: they load none of the model's libraries.)"""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """Exit with `code`, skipping the interpreter's teardown where nothing needs it: Python frees every module's
    objects one by one as it exits, about 0.4 s once the model's libraries are loaded (measured 2026-12-08: a 1-slot
    `aztec-econ simulate` 1.61 -> 1.23 s; after the CLI's tenth of a year the exit took 0.38-0.50 s, most of it the
    kernel releasing the process's memory, which this does not save: 7.53 -> 7.43 s).
    Skipped only when the main thread is the only one (no thread left to join), no profiler or tracer runs (cProfile,
    trace and `python -i` act once the command returns) and after running the atexit handlers (where temporary
    files, logging, multiprocessing and Dask clean up) and flushing the output streams; a stream that cannot flush
    (a closed pipe) takes the normal exit, which reports it as Python does, and a stream Python has not got (its
    descriptor closed at start-up: None) is skipped."""
    watched = sys.getprofile() is not None or sys.gettrace() is not None or sys.flags.interactive
    if threading.active_count() == 1 and not watched:
        atexit._run_exitfuncs()  # the handlers run once: it empties their list
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except (OSError, ValueError):
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
