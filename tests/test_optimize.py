"""Mechanism search: optimisation files validated up front, a study identical whatever the executor and worker count,
resumed after SIGKILL to the same trials, extended, refused when its file changed, and an unsatisfiable constraint
reported as such."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from aztec_econ.cli import main
from aztec_econ.params import BASELINE
from aztec_econ.sweep.optimize import (
    STORAGE,
    OptimizeError,
    load_study,
    optimize,
    pareto_mask,
)

STUDIES = Path(__file__).resolve().parent.parent / "params" / "studies"
OFFLINE = "agents.sequencers.offline_probability"
TRIALS = 8
"""Two NSGA-II generations of 4: the second is bred from the first, so the sampler's use of results is exercised."""


def write_study(directory: Path, name: str = "small", **body: Any) -> Path:
    """A small study on the baseline: 48 slots x 2 runs with 20 keys per trial (a fraction of a second each)."""
    data: dict[str, Any] = {
        "name": name,
        "base": str(BASELINE),
        "runs": 2,
        "overrides": {"sim.slots": 48, "agents.sequencers.initial": 20},
        "sampler": "nsga2",
        "population": 4,
        "seed": 3,
        "variables": {
            OFFLINE: [0.0, 0.5],
            "protocol.block_reward": [50.0, 200.0],
            "protocol.proposal_phase_l1_blocks": [2, 5],
            "protocol.fee_mechanism": {"choices": ["first_price", "full_burn"]},
        },
        "objectives": [{"maximize": "share_happy"}, {"minimize": "issuance_per_year"}],
        "constraints": ["share_happy >= 0.9"],
    }
    data.update(body)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def trials(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "trials.parquet")


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def reference(study_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The study run uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("reference")
    result = optimize(study_file, TRIALS, out, executor="inline")
    assert len(result.trials) == TRIALS and (result.trials["state"] == "COMPLETE").all()
    return out


def test_optimisation_files_are_validated_naming_every_problem(tmp_path: Path) -> None:
    path = write_study(
        tmp_path,
        sampler="cmaes",
        population=1,
        variables={
            "protocol.no_such_knob": [1.0, 2.0],
            "protocol.prover_bond": [10.0, -5.0],
            "protocol.block_reward": {"low": -5.0, "high": 10.0},
            "protocol.proposal_phase_l1_blocks": [2, 30],
        },
        objectives=[{"maximize": "share_hapy"}, {"lower": "issuance_per_year"}],
        constraints=["apr_sequencers_ci_low >= 0.05", "share_skipped about 0.1"],
    )
    with pytest.raises(OptimizeError) as err:
        load_study(path)
    text = str(err.value)
    for expected in (
        "sampler = 'cmaes': must be one of nsga2, tpe, random",
        "population = 1: must be an integer >= 2",
        "variables.protocol.prover_bond",
        "low < high",
        "objectives[0].maximize = 'share_hapy': not a KPI",
        "objectives[1]",
        "constraints[1] = 'share_skipped about 0.1'",
    ):
        assert expected in text, (expected, text)
    # with the file-level problems fixed, values are checked against the parameter rules, naming the variable
    path = write_study(
        tmp_path,
        variables={
            "protocol.block_reward": {"low": -5.0, "high": 10.0},
            "protocol.proposal_phase_l1_blocks": [2, 30],
            "protocol.no_such_knob": [1.0, 2.0],
        },
    )
    with pytest.raises(OptimizeError) as err:
        load_study(path)
    text = str(err.value)
    assert "variables.protocol.block_reward = -5" in text
    assert "variables.protocol.proposal_phase_l1_blocks = 30" in text and "must fit in the slot" in text
    assert "protocol.no_such_knob" in text


@pytest.mark.parametrize("path", sorted(STUDIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_study_file_in_params_studies_is_valid(path: Path) -> None:
    spec = load_study(path)
    assert spec.variables and spec.objectives and spec.name == path.stem


def test_pareto_mask_keeps_exactly_the_non_dominated_rows() -> None:
    values = [
        [1.0, 5.0],
        [2.0, 6.0],
        [2.0, 4.0],
        [0.5, 1.0],
        [2.0, 4.0],
    ]  # maximise the first, minimise the second
    assert pareto_mask(values, ["maximize", "minimize"]).tolist() == [False, False, True, True, True]


@pytest.mark.slow
def test_a_study_gives_feasible_pareto_trials_and_the_best_per_objective(reference: Path) -> None:
    import optuna

    table = trials(reference)
    best = json.loads((reference / "best.json").read_text())
    assert best["status"] == "ok" and best["trials"] == TRIALS and best["feasible"] == table["feasible"].sum()
    assert table["feasible"].equals(table["share_happy_mean"] >= 0.9)
    # common random numbers: every trial simulated the base's seed
    manifest = json.loads((reference / "evaluations" / "manifest.json").read_text())
    assert {p["params"]["sim.seed"] for p in manifest["points"]} == {20240216}
    # the front is what Optuna's constrained Pareto front says, and its file holds just those trials
    study = optuna.load_study(study_name="small", storage=f"sqlite:///{reference / STORAGE}")
    assert set(table.loc[table["pareto"], "trial"]) == {t.number for t in study.best_trials}
    assert set(pd.read_csv(reference / "pareto.csv")["trial"]) == set(table.loc[table["pareto"], "trial"])
    feasible = table[table["feasible"]]
    happiest = best["objectives"][0]["best"]
    assert happiest["value"] == feasible["share_happy_mean"].max()
    assert best["objectives"][1]["best"]["value"] == feasible["issuance_per_year_mean"].min()
    assert set(happiest["kpis"]["share_happy"]) == {"mean", "ci_low", "ci_high"}
    assert set(happiest["params"]) == {
        OFFLINE,
        "protocol.block_reward",
        "protocol.proposal_phase_l1_blocks",
        "protocol.fee_mechanism",
    }
    assert (reference / "trials.csv").is_file() and len(pd.read_csv(reference / "trials.csv")) == TRIALS


@pytest.mark.slow
def test_the_same_trials_with_one_or_two_local_workers_or_dask(
    study_file: Path, reference: Path, tmp_path: Path
) -> None:
    expected = trials(reference)
    for executor in ("local", "dask"):
        out = tmp_path / executor
        optimize(study_file, TRIALS, out, executor=executor, workers=2)
        pd.testing.assert_frame_equal(trials(out), expected, obj=executor)
        assert json.loads((out / "best.json").read_text()) == json.loads(
            (reference / "best.json").read_text()
        )


@pytest.mark.slow
def test_sigkill_mid_study_then_resume_gives_the_same_trials(
    study_file: Path, reference: Path, tmp_path: Path
) -> None:
    import optuna

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aztec_econ.cli",
            "optimize",
            str(study_file),
            "--trials",
            str(TRIALS),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while len(list((out / "evaluations" / "points").glob("*.parquet"))) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "the study ended before the kill"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the pool's fork server and worker die now if not yet
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    storage = f"sqlite:///{out / STORAGE}"
    states = [t.state.name for t in optuna.load_study(study_name="small", storage=storage).trials]
    assert states.count("COMPLETE") < TRIALS and "RUNNING" in states  # killed mid-study, a batch in flight
    result = optimize(study_file, TRIALS, out, executor="inline")
    assert result.evaluated < TRIALS  # points finished before the kill were not recomputed
    pd.testing.assert_frame_equal(trials(out), trials(reference))


@pytest.mark.slow
def test_a_finished_study_extends_and_refuses_a_changed_file(
    study_file: Path, reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "extended"
    shutil.copytree(reference, out)
    again = optimize(study_file, TRIALS, out, executor="inline")
    assert again.evaluated == 0  # finished: nothing to do
    extended = optimize(study_file, TRIALS + 2, out, executor="inline")
    table = trials(out)
    assert len(table) == TRIALS + 2 and extended.evaluated <= 2
    pd.testing.assert_frame_equal(table.iloc[:TRIALS], trials(reference))
    changed = write_study(tmp_path, seed=4)
    assert main(["optimize", str(changed), "--trials", "4", "--out", str(out), "--executor", "inline"]) == 2
    assert "different configuration (changed: seed)" in capsys.readouterr().err


@pytest.mark.slow
def test_a_constraint_no_trial_satisfies_is_reported_as_infeasible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(
        tmp_path,
        sampler="random",
        batch=4,
        variables={OFFLINE: [0.0, 0.5]},
        constraints=["share_happy > 1.5", "share_skipped <= 0.5"],
    )
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--trials", "4", "--out", str(out), "--executor", "inline"]) == 0
    printed = capsys.readouterr().out
    best = json.loads((out / "best.json").read_text())
    assert best["status"] == "infeasible" and best["feasible"] == 0 and best["complete"] == 4
    assert best["infeasible_constraints"] == ["share_happy > 1.5"]
    assert "satisfied by no trial: 'share_happy > 1.5' (best reached: " in best["message"]
    assert [c["satisfied_by"] for c in best["constraints"]] == [0, 4]
    assert all(entry["best"] is None for entry in best["objectives"])
    assert "infeasible: no trial satisfies every constraint" in printed
    assert len(pd.read_csv(out / "pareto.csv")) == 0 and not trials(out)["feasible"].any()


@pytest.mark.slow
def test_trials_whose_values_clash_fail_without_stopping_the_study(tmp_path: Path) -> None:
    # each phase alone fits a 60-block slot at any of its values; together they may not
    path = write_study(
        tmp_path,
        sampler="random",
        batch=6,
        overrides={"sim.slots": 48, "agents.sequencers.initial": 20, "protocol.slot_l1_blocks": 60},
        variables={
            "protocol.proposal_phase_l1_blocks": [5, 15],
            "protocol.proving_phase_l1_blocks": [25, 35],
        },
        constraints=[],
    )
    result = optimize(path, 6, tmp_path / "out", executor="inline")
    table = result.trials
    clash = table["protocol.proposal_phase_l1_blocks"] + table["protocol.proving_phase_l1_blocks"] > 40
    assert 0 < clash.sum() < 6  # the seeded draws give both kinds
    assert (table.loc[clash, "state"] == "FAIL").all() and (table.loc[~clash, "state"] == "COMPLETE").all()
    assert table.loc[clash, "error"].str.contains("invalid parameters: .*must fit in the slot").all()
    assert result.best["status"] == "ok" and result.best["failed"] == int(clash.sum())
