"""CLI start-up (issue 16): what `aztec-econ` imports before it does anything, checked by module, not by clock.

`aztec-econ --help` and `params show` build the whole parser (every command registers itself through the light
parser modules `aztec_econ.sweep.commands` and `aztec_econ.publish.commands`) and import no heavy library; a
simulation imports numba only when it runs, pyarrow's Parquet module only to write or read Parquet, and loads the
compiled kernels from numba's cache. Wall times are what `benchmarks/bench_speed.py` prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HEAVY = {
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "numba",
    "llvmlite",
    "cadCAD",
    "nbformat",
    "nbconvert",
    "jsonschema",
    "papermill",
    "jupytext",
    "jupyter_client",
    "plotly",
    "kaleido",
    "dask",
    "distributed",
    "optuna",
    "SALib",
    "sklearn",
    "tqdm",
}
"""Libraries that cost a tenth of a second or more to import (nbformat: over a second, through jsonschema)."""

PROBE = """
import json, sys
from aztec_econ.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
loaded = sorted({m.split('.')[0] for m in sys.modules})
kernels = sys.modules.get('aztec_econ.model.kernels')
stats = kernels.top_eligible_walk.stats if kernels else None
print(json.dumps({
    'code': code,
    'loaded': loaded,
    'modules': sorted(m for m in sys.modules if m.startswith(('pyarrow', 'scipy.stats'))),
    'cache_hits': sum(stats.cache_hits.values()) if stats else None,
    'cache_misses': sum(stats.cache_misses.values()) if stats else None,
}))
"""


def _fresh(code: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with `argv` in a fresh interpreter importing this checkout's aztec_econ."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=300,
        check=False,
    )


def _probe(*argv: str) -> dict[str, object]:
    """Run the CLI with `argv` in a fresh interpreter; what it returned and what it had imported at the end."""
    result = _fresh(PROBE, *argv)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("sweep", "--help"),
        ("report", "--help"),
        ("params", "show", "params/baseline.yaml"),
        ("params", "schema"),
    ],
    ids=" ".join,
)
def test_help_and_params_import_no_heavy_library(argv: tuple[str, ...]) -> None:
    report = _probe(*argv)
    assert report["code"] in (0, None)
    heavy = sorted(HEAVY & set(report["loaded"]))  # type: ignore[arg-type]
    assert not heavy, f"aztec-econ {' '.join(argv)} imports {', '.join(heavy)}"


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = "import sys, aztec_econ.cli; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    result = _fresh(code)
    assert result.returncode == 0, result.stderr
    assert not HEAVY & set(result.stdout.split()), sorted(HEAVY & set(result.stdout.split()))


def test_reading_results_imports_no_compiler() -> None:
    """The analysis of results (KPIs, tables, the column store) imports the mechanisms' closed forms, not numba: the
    mechanisms that import their kernels at module level are the ones only a simulation loads (`model.kernels`)."""
    modules = "aztec_econ.analysis.kpis, aztec_econ.analysis.tables, aztec_econ.column_store"
    code = f"import sys, {modules}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = _fresh(code)
    assert result.returncode == 0, result.stderr
    assert "numba" not in result.stdout.split()


@pytest.mark.slow
def test_a_simulation_loads_its_kernels_from_the_cache_and_skips_parquet_and_scipy_stats() -> None:
    argv = ("simulate", "params/baseline.yaml", "--set", "sim.slots=1", "--set", "sim.runs=1")
    _probe(*argv)  # fills numba's cache if this checkout has none yet
    report = _probe(*argv)
    assert report["code"] == 0
    assert "numba" in report["loaded"]  # type: ignore[operator]
    assert (report["cache_hits"], report["cache_misses"]) == (1, 0), report
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert "pyarrow.parquet" not in modules and "scipy.stats" not in modules, sorted(modules)


def test_the_light_parser_modules_copies_agree_with_the_implementation() -> None:
    """The parser modules hold copies of a few constants (importing the originals would import the implementation)."""
    from aztec_econ.analysis.scenarios import DEFAULT_THRESHOLD
    from aztec_econ.publish import commands as publish_commands
    from aztec_econ.publish import compare, execution
    from aztec_econ.sweep import commands as sweep_commands
    from aztec_econ.sweep.spec import DESIGN_METHODS

    assert sweep_commands.DESIGN_METHODS == DESIGN_METHODS
    assert sweep_commands.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD
    assert publish_commands.DEFAULT_TIMEOUT == execution.DEFAULT_TIMEOUT
    assert publish_commands.COMPARE_NAME == compare.DEFAULT_NAME
    assert compare.__doc__ is not None
    assert compare.__doc__.split("\n\n")[1] == publish_commands.COMPARE_DESCRIPTION


def test_every_command_handler_is_a_light_function_of_the_parser_modules() -> None:
    """Each subcommand's handler lives in `cli` or a parser module, so choosing a command imports only its own
    implementation."""
    import argparse

    from aztec_econ.cli import build_parser

    def handlers(parser: argparse.ArgumentParser) -> list[object]:
        found = [parser.get_default("handler")]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += handlers(sub)
        return [h for h in found if h is not None]

    modules = {h.__module__ for h in handlers(build_parser())}  # type: ignore[attr-defined]
    assert modules == {"aztec_econ.cli", "aztec_econ.publish.commands", "aztec_econ.sweep.commands"}, modules
