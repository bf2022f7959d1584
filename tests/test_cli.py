"""The command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from aztec_econ.params import BASELINE


def aztec_econ(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aztec_econ.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_simulate_writes_parquet_and_prints_kpis(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    result = aztec_econ(
        "simulate",
        str(BASELINE),
        "--set",
        "sim.slots=144",
        "--set",
        "sim.runs=2",
        "--set",
        "agents.sequencers.initial=50",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "share_happy" in result.stdout and "ci_low" in result.stdout
    frame = pd.read_parquet(out)
    assert len(frame) == 288 and set(frame["run"]) == {0, 1}


def test_params_show_schema_and_assumptions() -> None:
    shown = aztec_econ("params", "show", str(BASELINE), "--set", "protocol.prover_bond=20")
    assert shown.returncode == 0 and "prover_bond: 20" in shown.stdout
    schema = aztec_econ("params", "schema")
    assert json.loads(schema.stdout)["title"] == "Params"
    listed = aztec_econ("params", "assumptions")
    assert "protocol.prover_bond" in listed.stdout and "protocol.entry_period_days" not in listed.stdout


def test_docs_outputs_prints_docs_outputs_md() -> None:
    result = aztec_econ("docs", "outputs")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (Path(__file__).resolve().parent.parent / "docs" / "outputs.md").read_text()


def test_model_lists_blocks_in_order() -> None:
    lines = aztec_econ("model").stdout.splitlines()
    assert lines[0].lstrip().startswith("1. clock") and any("backup" in line for line in lines)


def test_package_exposes_simulate(make_params):
    import aztec_econ

    traj = aztec_econ.simulate(make_params(**{"sim.slots": 20, "sim.runs": 2}))
    assert len(traj.frame) == 40
    from aztec_econ.analysis.kpis import summary

    assert "share_happy" in summary(traj).index
    assert aztec_econ.__version__ != "0+unknown"


def test_version_and_help_name_every_command_with_defaults_and_an_example(capsys) -> None:
    import pytest

    from aztec_econ.cli import EXAMPLES, main

    version = aztec_econ("--version")
    assert version.returncode == 0 and version.stdout.startswith("aztec-econ ")
    top = aztec_econ("--help").stdout
    commands = [
        "simulate",
        "params",
        "docs",
        "model",
        "report",
        "figures",
        "sweep",
        "analyze",
        "optimize",
        "compare",
    ]
    assert all(f"    {c} " in top for c in commands) and "examples:" in top

    def help_of(*words: str) -> str:
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        return capsys.readouterr().out

    for command in commands:
        text = help_of(command)
        assert "examples:" in text and f"aztec-econ {command}" in text.split("examples:")[1], command
    assert "examples:" in help_of("params", "show")
    assert "examples:" in help_of("analyze", "sensitivity") and "examples:" in help_of("analyze", "scenarios")
    assert "(default: reports)" in help_of("report")
    sweep = help_of("sweep")
    assert "(default: local)" in sweep and "(default: None)" not in sweep  # no meaningless defaults
    assert set(EXAMPLES) >= set(commands)


def test_ctrl_c_ends_a_command_with_exit_code_130_and_a_message(monkeypatch, capsys) -> None:
    import aztec_econ.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_model", interrupted)
    assert cli.main(["model"]) == 130
    assert "interrupted" in capsys.readouterr().err


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_command_exits_without_teardown_yet_runs_its_atexit_handlers_and_flushes_its_output() -> None:
    done = _python(
        "import atexit, sys\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "from aztec_econ.cli import exit_now\n"
        "print('unflushed', end='')\n"
        "sys.stderr.write('to stderr')\n"
        "exit_now(4)\n"
    )
    assert done.returncode == 4
    assert done.stdout == "unflushedhandler ran\n" and done.stderr == "to stderr"


def test_the_command_waits_for_a_thread_still_running_as_python_does() -> None:
    done = _python(
        "import threading, time\n"
        "from aztec_econ.cli import exit_now\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread finished'))).start()\n"
        "exit_now(3)\n"
    )
    assert done.returncode == 3 and done.stdout == "thread finished\n"


def test_the_command_exits_as_before_with_its_output_streams_closed_or_under_a_profiler(
    tmp_path: Path,
) -> None:
    closed = subprocess.run(  # descriptors 1 and 2 closed at start-up: Python's streams are None
        f"{sys.executable} -m aztec_econ.cli params show /nonexistent.yaml >&- 2>&-; echo $?",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert closed.stdout.strip() == "2" and closed.stderr == ""
    profile = tmp_path / "model.prof"
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "aztec_econ.cli", "model"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        profiled.returncode == 0 and profile.stat().st_size > 0
    )  # cProfile writes it once the command returns


def test_the_console_script_runs_the_command_and_keeps_its_exit_code(tmp_path: Path) -> None:
    import tomllib

    root = Path(__file__).resolve().parent.parent
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["aztec-econ"] == "aztec_econ.cli:run"
    bad = aztec_econ("simulate", str(BASELINE), "--set", "sim.slots=0")  # `python -m` runs `run` too
    assert bad.returncode == 2 and "sim.slots = 0" in bad.stderr and bad.stdout == ""
    good = aztec_econ("simulate", str(BASELINE), "--set", "sim.slots=3", "--set", "sim.runs=2")
    assert good.returncode == 0 and good.stdout.rstrip().endswith("2") and "kpi" in good.stdout


def test_make_lab_allows_root_only_where_the_user_is_root() -> None:
    import os
    import shutil

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make not installed")
    root = Path(__file__).resolve().parent.parent
    plan = subprocess.run(["make", "-n", "lab"], cwd=root, capture_output=True, text=True, timeout=60).stdout
    (command,) = [line for line in plan.splitlines() if "jupyter lab" in line]
    assert command.split()[1:3] == ["lab", "notebooks/"]
    assert ("--allow-root" in command) == (os.getuid() == 0)  # Jupyter refuses to run as root without it
