"""Every notebook runs with small parameters on the project kernel (real papermill) and glues sane KPIs.

The baseline notebook (01) is executed once for the whole session by the `baseline_report` fixture (through the
CLI), and its KPIs are read back from the executed notebook.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import pytest
from conftest import NOTEBOOKS, SMALL_NOTEBOOK_PARAMETERS

from aztec_econ import analysis, theory
from aztec_econ.glue import PARAMS_GLUE, read_glued
from aztec_econ.params import load_params
from aztec_econ.reports import ExecutedNotebook, execute_notebook

pytestmark = pytest.mark.slow

PARAMS = load_params(
    overrides={"sim.slots": SMALL_NOTEBOOK_PARAMETERS["slots"], "sim.runs": SMALL_NOTEBOOK_PARAMETERS["runs"]}
)
N_SLOTS = PARAMS.sim.slots * PARAMS.sim.runs


def test_every_notebook_is_tested() -> None:
    tested = {"00_how_to", "01_baseline_network_health", "02_registration_and_exit_queues"}
    tested |= {"03_rewards_bonds_and_slashing", "10_sweep_analysis"}
    assert {p.stem for p in NOTEBOOKS.glob("*.py")} == tested


def _run(name: str) -> ExecutedNotebook:
    executed = execute_notebook(NOTEBOOKS / f"{name}.py", SMALL_NOTEBOOK_PARAMETERS)
    assert executed.ok, executed.error
    assert executed.params["sim.slots"] == PARAMS.sim.slots  # the injected parameters reached the model
    travelled = pickle.loads(pickle.dumps(executed))  # as from a Dask worker: the notebook travels as bytes
    assert travelled.kpis == executed.kpis and read_glued(travelled.ipynb) == executed.kpis
    return executed


def _is_share(value: Any) -> bool:
    return isinstance(value, float) and 0.0 <= value <= 1.0


def test_how_to_runs_and_glues_a_share() -> None:
    kpis = _run("00_how_to").kpis
    assert _is_share(kpis["share_happy"])


def test_baseline_shares_and_gaps_agree_with_theory(baseline_report: Path) -> None:
    kpis = read_glued(baseline_report / "01_baseline_network_health.ipynb")
    assert kpis[PARAMS_GLUE]["sim.runs"] == PARAMS.sim.runs
    expected = analysis.expected_mode_shares(PARAMS)
    assert math.isclose(sum(kpis[f"share_{m}"] for m in analysis.MODE_NAMES), 1.0, abs_tol=1e-9)
    for mode in analysis.MODE_NAMES:
        assert _is_share(kpis[f"share_{mode}"])
        assert kpis[f"theory_share_{mode}"] == pytest.approx(expected[mode])
        assert abs(kpis[f"share_{mode}"] - expected[mode]) <= theory.proportion_tolerance(
            expected[mode], N_SLOTS
        )
    assert 0 < kpis["finalized_per_day"] <= PARAMS.protocol.slots_per_day
    assert kpis["gap_mean_minutes"] == pytest.approx(kpis["theory_gap_mean_minutes"], rel=0.02)
    assert kpis["gap_p90_minutes"] >= kpis["gap_mean_minutes"]


def test_queues_follow_littles_law_and_keys_wait_the_entry_period() -> None:
    kpis = _run("02_registration_and_exit_queues").kpis
    expected = analysis.expected_queues(PARAMS)
    for column in ("queued_sequencers", "exiting_sequencers"):
        assert kpis[f"theory_{column}"] == pytest.approx(expected[column])
        # a few days of 3 runs: the queue is Poisson(14), its time average varies by a few keys
        assert abs(kpis[f"mean_{column}"] - expected[column]) <= 0.5 * expected[column]
    assert kpis["mean_entry_wait_days"] == pytest.approx(PARAMS.protocol.entry_period_days, abs=1e-6)
    assert kpis["mean_exit_wait_days"] == pytest.approx(PARAMS.protocol.exit_delay_days, abs=1e-6)
    assert kpis["active_start"] == PARAMS.agents.sequencers.initial


def test_rewards_follow_the_split_and_slashing_its_closed_form() -> None:
    kpis = _run("03_rewards_bonds_and_slashing").kpis
    split = PARAMS.protocol.reward_split
    happy = sum(kpis[f"{k}_per_day"] for k in ("reward_sequencers", "reward_provers", "reward_submitters"))
    assert kpis["reward_sequencers_per_day"] / happy == pytest.approx(split.sequencer)
    assert kpis["reward_provers_per_day"] / happy == pytest.approx(split.prover)
    assert 0.0 < kpis["theory_gini_luck_only"] < kpis["gini_sequencer_rewards"] < 1.0
    per_day = PARAMS.protocol.slots_per_day
    p = kpis["theory_slashing_events_per_day"] / per_day
    assert p == pytest.approx(analysis.expected_slashing_probability(PARAMS))
    assert abs(kpis["slashing_events_per_day"] / per_day - p) <= theory.proportion_tolerance(p, N_SLOTS)
    assert kpis["supply_growth_pct_per_year"] > 0


def test_sweep_analysis_runs_a_small_sweep_and_finds_the_deciding_parameter(tmp_path: Path) -> None:
    import yaml

    sweep = tmp_path / "lhs.yaml"  # 12 points: the notebook's default file has 40
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "lhs",
                "base": str(NOTEBOOKS.parent / "params" / "baseline.yaml"),
                "overrides": {"agents.sequencers.initial": 50},
                "sample": {"n": 12, "bounds": {"agents.provers.failure_probability": [0.0, 0.3]}},
            }
        )
    )
    parameters = {"sweep_file": str(sweep), "slots": 144, "runs": 2}
    executed = execute_notebook(NOTEBOOKS / "10_sweep_analysis.py", parameters)
    assert executed.ok, executed.error
    kpis = executed.kpis
    assert kpis["points"] == 12 and 0 < kpis["points_passing"] < 12
    assert kpis["deciding_parameter"] == "agents.provers.failure_probability"
