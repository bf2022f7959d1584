"""The model guards itself: no dead parameters, every state variable updated (output columns: test_outputs_doc.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis.tables import agent_table, confirmation_table, vote_table
from aztec_econ.model.blocks import BLOCKS, STEPS
from aztec_econ.model.columns import Segment
from aztec_econ.model.context import build_context
from aztec_econ.model.harness import run_step, state_before
from aztec_econ.model.state import STATE_DOCS, initial_state
from aztec_econ.params import Params, ParamsError, load_params
from aztec_econ.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent

# A short, busy setting in which every mechanism acts: frequent registrations, exits, failures and backups.
LIVELY: dict[str, Any] = {
    "sim.slots": 144,
    "sim.runs": 2,
    "agents.sequencers.initial": 60,
    "agents.sequencers.registrations_per_day": 30.0,
    "agents.sequencers.exits_per_day": 30.0,
    "protocol.entry_period_days": 0.4,
    "protocol.exit_delay_days": 0.3,
    "agents.sequencers.offline_probability": 0.5,
    "agents.sequencers.self_prove_probability": 0.3,
    "agents.sequencers.reveal_failure_probability": 0.1,
    "agents.provers.failure_probability": 0.1,
    "agents.provers.unavailable_probability": 0.5,
    "agents.relays.submission_share": 0.3,
    "agents.backup.ready_probability": 0.3,
    "agents.sequencers.initial_balance": 50.0,
    "protocol.slot_l1_blocks": 52,
    # attacks and governance on, so their parameters act
    "attacks.randao.sequencer_share": 0.2,
    "attacks.randao.l1_proposer_share": 0.4,
    "attacks.randao.strategy": "tail",
    "attacks.censorship.builder_share": 0.5,
    "attacks.censorship.autocorrelation": 0.5,
    "attacks.censorship.phases": ["proposal", "commitment", "reveal", "proof"],
    "governance.support_share_end": 0.3,
    "governance.ramp_days": 1.0,
    "governance.count_backup_blocks": True,
    "governance.attacker_vote": "yes",
    "protocol.upgrade_vote_window_days": 0.25,
    "protocol.proposal_phase_l1_blocks": 2,
    "protocol.commitment_phase_l1_blocks": 2,
    "protocol.reveal_phase_l1_blocks": 2,
    "protocol.proving_phase_l1_blocks": 3,
    # economics (issue 3): a base fee that moves, shocks, a prover market that binds on size, budget and price
    "protocol.fee_mechanism": "base_fee_burn",
    "protocol.prover_bond": 50.0,
    "environment.demand.shocks_per_day": 7.0,
    "environment.demand.trend_per_year": 1.0,
    "environment.l1.shocks_per_day": 7.0,
    "agents.provers.cost_per_block": 20.0,
    "agents.provers.failure_spread": 0.5,
    "agents.provers.capacity": 700.0,
    "agents.provers.bond_budget": 60.0,
    "agents.sequencers.prover_strategy": "cheapest",
    "agents.sequencers.proving_cost_per_block": 5.0,
    # time (issue 12): proofs and backup blocks that sometimes miss their short deadlines, a lag that leaves the
    # prover short of warning, empty L1 slots
    "agents.provers.proving_time_median_seconds": 40.0,
    "agents.provers.ramp_up_seconds": 390.0,
    "agents.backup.proving_time_median_seconds": 20.0,
    "environment.l1.missed_block_probability": 0.1,
    # operators (issue 13): several keys each, frequent outages that reach the provers they run
    "agents.operators.count": 10,
    "agents.operators.outage_rate_per_day": 2.0,
}

FIRST_PRICE: dict[str, Any] = {"protocol.fee_mechanism": "first_price"}
COST_BASED: dict[str, Any] = {"protocol.fee_mechanism": "cost_based", "environment.demand.bid_scale": 0.2}

# parameters that act only with another setting: perturbed with it, against a reference with it
COMPANIONS: dict[str, dict[str, Any]] = {
    "protocol.mev_burn_share": {"protocol.fee_mechanism": "mev_burn"},
    "agents.provers.bargaining_power": {"agents.provers.count": 1},  # binds where competition does not
    "environment.l1.shocks_per_day": {"environment.l1.process": "shock"},
    "environment.l1.shock_multiplier": {"environment.l1.process": "shock"},
    "environment.l1.shock_hours": {"environment.l1.process": "shock"},
    "environment.reservation_yield": {"agents.sequencers.profit_driven_entry_exit": True},
    "agents.sequencers.apr_window_days": {
        "agents.sequencers.profit_driven_entry_exit": True,
        "sim.slots": 432,
    },
    "agents.sequencers.apr_sensitivity": {"agents.sequencers.profit_driven_entry_exit": True},
    "agents.sequencers.max_rate_multiplier": {"agents.sequencers.profit_driven_entry_exit": True},
    "environment.token.drift_per_year": {"environment.token.process": "gbm"},
    "environment.token.volatility_per_year": {"environment.token.process": "gbm"},
    # first-price bidding (LIVELY runs base_fee_burn)
    "agents.users.bid_margin": FIRST_PRICE,
    "agents.users.min_bid": FIRST_PRICE,
    "agents.users.clearing_half_life_minutes": {**FIRST_PRICE, "environment.demand.tx_per_second": 0.3},
    # the cost-based fee, with values that cover it
    "protocol.cost_based.proving_cost_per_mana": COST_BASED,
    "protocol.cost_based.oracle_lag_slots": COST_BASED,
    "protocol.cost_based.congestion": COST_BASED,
    "protocol.cost_based.target_utilisation": COST_BASED,
    "protocol.cost_based.update_fraction": COST_BASED,
    "protocol.cost_based.burn_congestion": COST_BASED,
    # an explicit key distribution
    "agents.operators.key_counts": {
        "agents.operators.key_distribution": "list",
        "agents.operators.count": 3,
        "agents.operators.key_counts": [20, 20, 20],
    },
}

# alternatives of parameters that are not numbers or booleans
CHOICES: dict[str, list[Any]] = {
    "attacks.randao.strategy": ["reroll", "none"],
    "governance.attacker_vote": ["no", "follow"],
    "attacks.censorship.phases": [["proposal"], ["commitment"], ["reveal"], ["proof"]],
    "protocol.fee_mechanism": ["first_price", "full_burn", "mev_burn", "cost_based"],
    "environment.demand.bid_distribution": ["uniform"],
    "environment.l1.process": ["steady", "shock"],
    "environment.token.process": ["gbm"],
    "environment.l1.price_file": ["tests/data/l1_prices.csv"],
    "agents.sequencers.prover_strategy": ["most_reliable", "self_prove_when_able"],
    "protocol.issuance_per_year": [1e6],
    "agents.operators.key_distribution": ["equal"],
    "agents.operators.key_counts": [[30, 20, 10]],
}


def perturbations(name: str, value: Any) -> list[Any]:
    """Other valid-looking values of a parameter, nearest first."""
    if name in CHOICES:
        return CHOICES[name]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, value * 2 + 1]
    if isinstance(value, float):
        return [value * 1.5 + 0.1, value * 0.5, value + 0.5]
    raise AssertionError(f"no perturbation for {name}={value!r}")


def run_lively(overrides: dict[str, Any]) -> pd.DataFrame:
    traj = simulate(load_params(overrides={**LIVELY, **overrides}))
    hist = pd.DataFrame(traj.confirmation_hist.reshape(traj.confirmation_hist.shape[0], -1))
    return pd.concat(
        [traj.frame, traj.keys, vote_table(traj), agent_table(traj), hist, confirmation_table(traj)], axis=1
    )


def test_every_parameter_changes_behaviour() -> None:
    reference = run_lively({})
    base = load_params(overrides=LIVELY).flat()
    dead = []
    for name, value in base.items():
        if name.startswith("protocol.reward_split."):
            continue  # shares move in pairs: tested below
        companion = COMPANIONS.get(name, {})
        against = run_lively(companion) if companion else reference
        for candidate in perturbations(name, value):
            try:
                changed = run_lively({**companion, name: candidate})
            except ParamsError:
                continue
            if not changed.equals(against):
                break
        else:
            dead.append(name)
    assert not dead, f"parameters that change nothing: {dead}"


@pytest.mark.parametrize("share", ["sequencer", "prover", "submitter"])
def test_every_reward_share_changes_behaviour(share: str) -> None:
    others = [s for s in ("sequencer", "prover", "submitter") if s != share]
    base = load_params(overrides=LIVELY).protocol.reward_split
    moved = {
        f"protocol.reward_split.{share}": getattr(base, share) + 0.05,
        f"protocol.reward_split.{others[0]}": getattr(base, others[0]) - 0.05,
    }
    assert not run_lively(moved).equals(run_lively({}))


def test_every_state_variable_is_written_by_some_block_and_documented() -> None:
    ctx = build_context(load_params(overrides={"sim.runs": 1}))
    state = set(initial_state(ctx))
    written = {name for block in BLOCKS for name in block.writes}
    assert written == state == set(STATE_DOCS)


def test_every_step_has_a_unique_label_and_a_description() -> None:
    labels = [s.label for s in STEPS]
    assert len(set(labels)) == len(labels) > 10
    assert all(s.description and s.writes for s in STEPS)
    assert len({b.label for b in BLOCKS}) == len(BLOCKS)


def test_each_step_writes_only_what_it_declares(make_params: Callable[..., Params]) -> None:
    params = make_params(**{k.replace(".", "__"): v for k, v in LIVELY.items()})
    ctx, state = state_before(params, "clock", slot=3)
    for step in STEPS:
        changed = step.function(ctx, state)
        assert set(changed) <= set(step.writes), step.label
        state = run_step(ctx, state, step.label)


def test_aztec_econ_model_prints_every_step_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    from aztec_econ.cli import main

    assert main(["model"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for i, step in enumerate(STEPS, 1):
        assert lines[i - 1].split()[0] == f"{i}."
        assert step.label in lines[i - 1] and step.description in lines[i - 1]
    assert "confirmation times" in lines[len(STEPS) + 1] and "upgrade votes" in lines[len(STEPS) + 2]


def test_params_error_names_context_not_a_traceback() -> None:
    with pytest.raises(ParamsError, match=r"sim\.runs = 0"):
        load_params(overrides={"sim.runs": 0})
    assert isinstance(Params, type)


def test_assumptions_md_is_current():
    """ASSUMPTIONS.md is generated from the parameter model; regenerate with `make assumptions`."""
    from pathlib import Path

    from aztec_econ.params import assumptions_markdown, load_params

    committed = (Path(__file__).parents[1] / "ASSUMPTIONS.md").read_text()
    assert committed == assumptions_markdown(load_params()), "ASSUMPTIONS.md is stale: run `make assumptions`"


def test_a_segment_reads_fields_slots_first_and_spans_shared_objects() -> None:
    shared, other = np.zeros(2), np.ones(2)
    states = [
        {"slot": slot, "part": SimpleNamespace(value=np.array([slot, -slot]), owner=owner)}
        for slot, owner in zip(range(5, 10), (shared, shared, other, other, shared), strict=True)
    ]
    seg = Segment(cast(Any, states))
    np.testing.assert_array_equal(seg.slots, [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(seg.field("part", "value"), [[5, -5], [6, -6], [7, -7], [8, -8], [9, -9]])
    assert seg.spans(lambda s: cast(Any, s)["part"].owner) == [(0, 2), (2, 4), (4, 5)]
    with pytest.raises(ValueError, match="at least one slot"):
        Segment([])
