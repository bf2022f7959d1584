"""Participation (`model/mechanisms/participation.py`): keys propose, backup builders get ready and relays submit only
when it pays at the slot's prices. Fixed seeds; steady L1 prices so each decision is the same in every slot."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from aztec_econ.analysis import theory
from aztec_econ.analysis.tables import agent_table
from aztec_econ.model.mechanisms import participation
from aztec_econ.params import Params
from aztec_econ.simulation import simulate

STEADY = {"environment__l1__process": "steady"}


def test_win_chance_falls_with_rank_and_the_cost_scales_with_gas(make_params: Callable[..., Params]) -> None:
    params = make_params()
    online = 1 - params.agents.sequencers.offline_probability
    np.testing.assert_allclose(participation.win_chance(params, 3), [1.0, online, online**2])
    gas = np.array([20.0, 200.0])
    cost = participation.proposal_cost(params, gas, np.full(2, params.environment.token.eth_per_token))
    np.testing.assert_allclose(cost, [3.0, 30.0])  # 150,000 gas x 20 gwei = 0.003 ETH = 3 tokens
    sends = participation.proposes(params, np.array([10.0, 10.0]), gas, np.full(2, 0.001))
    assert sends[0].all() and not sends[1].any()


def test_proposals_stay_at_baseline_gas_and_vanish_when_proposing_does_not_pay(
    make_params: Callable[..., Params],
) -> None:
    cheap = simulate(make_params(**STEADY, environment__l1__gas_price=20.0)).frame
    dear = simulate(make_params(**STEADY, environment__l1__gas_price=200.0)).frame
    p = make_params()
    k = p.agents.sequencers.proposers_per_slot
    expected = k * (1 - p.agents.sequencers.offline_probability)  # every online top key sends
    n = len(cheap) * k
    assert cheap["proposals"].mean() == pytest.approx(
        expected, abs=k * theory.proportion_tolerance(expected / k, n)
    )
    assert dear["proposals"].mean() < 0.05


def test_no_backup_builder_is_ready_when_backup_does_not_pay(make_params: Callable[..., Params]) -> None:
    """No third-party prover is ever available, no self-proving: every proposed slot goes to backup. At 20 gwei a
    backup block pays (100 of reward against 60 of compute and ~12 of gas); at 100 gwei it does not (60 of gas)."""
    forced = {**STEADY, "agents__provers__unavailable_probability": 1.0}
    forced["agents__sequencers__self_prove_probability"] = 0.0
    pays = simulate(make_params(**forced, environment__l1__gas_price=20.0)).frame
    loses = simulate(make_params(**forced, environment__l1__gas_price=100.0)).frame
    assert (pays["mode"] == "backup").mean() > 0.5
    backup = pays[pays["mode"] == "backup"]
    np.testing.assert_allclose(
        backup["proving_cost_backup"], make_params().agents.backup.proving_cost_per_block
    )
    assert (pays.loc[pays["mode"] != "backup", "proving_cost_backup"] == 0).all()
    assert (loses["mode"] == "backup").sum() == 0 and (loses["backup_builder"] == -1).all()
    # the backup builders' cost in the agent table includes their proving compute
    table = agent_table(simulate(make_params(**forced, environment__l1__gas_price=20.0)))
    row = table[table["role"] == "backup"].set_index("run")["cost"]
    by_run = backup.groupby("run")[["l1_cost_backup", "proving_cost_backup"]].sum().sum(axis=1)
    np.testing.assert_allclose(row.loc[by_run.index], by_run, rtol=1e-9)


def test_relays_submit_only_when_the_submitter_share_covers_the_verification_gas(
    make_params: Callable[..., Params],
) -> None:
    params = make_params()
    price = np.full(2, params.environment.token.eth_per_token)
    reward = np.full(2, float(params.protocol.block_reward))
    # 10 tokens of submitter share against 450,000 gas: 9 tokens at 20 gwei, 45 at 100
    np.testing.assert_array_equal(
        participation.relay_pays(params, reward, np.array([20.0, 100.0]), price), [1, 0]
    )
    cheap = simulate(make_params(**STEADY, environment__l1__gas_price=20.0)).frame
    dear = simulate(make_params(**STEADY, environment__l1__gas_price=30.0)).frame
    assert (cheap["submitter"] == "relay").sum() > 0
    assert (dear["submitter"] == "relay").sum() == 0 and (dear["l1_cost_relay"] == 0).all()
