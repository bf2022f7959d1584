"""The prover auction (`prover_market`): a second-price auction with the sequencer's outside option as the reserve.

Fixed seeds; tolerances from standard errors of the simulated means (4 standard errors) where the figure is random.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis import theory
from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import agent_table
from aztec_econ.model.mechanisms import prover_market
from aztec_econ.model.mechanisms.l1_prices import YEAR_SECONDS, token_price
from aztec_econ.model.rng import run_keys
from aztec_econ.params import Params, ParamsError, load_params
from aztec_econ.simulation import simulate

# every proof is on time (no proving-time spread), no self-proving, no reveal risk, a constant block value (no demand)
CLEAN: dict[str, Any] = {
    "sim__slots": 300,
    "sim__runs": 2,
    "agents__provers__cost_spread": 0.0,
    "agents__provers__failure_spread": 0.0,
    "agents__provers__proving_time_log_sd": 0.0,
    "agents__sequencers__self_prove_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "environment__demand__tx_per_second": 0.0,
    "environment__l1__process": "steady",
}


def break_even(params: Params) -> float:
    """Cost plus risk of a baseline prover (z = 0) in the CLEAN setting, by hand."""
    pr, pv = params.protocol, params.agents.provers
    tokens_per_gas = params.environment.l1.gas_price * 1e-9 / params.environment.token.eth_per_token
    submits = 1.0 - params.agents.relays.submission_share
    reward = pr.block_reward * (pr.reward_split.prover + pr.reward_split.submitter * submits)
    return theory.prover_break_even_price(
        pv.cost_per_block,
        pr.l1_gas.commitment * tokens_per_gas,
        pr.l1_gas.verification * submits * tokens_per_gas,
        1.0 - pv.failure_probability,
        pr.prover_bond,
        reward,
    )


def committed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["prover"] >= 0]


def test_ten_identical_provers_are_paid_their_cost_plus_risk(make_params: Callable[..., Params]) -> None:
    params = make_params(**CLEAN, agents__provers__count=10)
    frame = simulate(params).frame
    won = committed(frame)
    expected = break_even(params)
    assert len(won) > 0.8 * len(frame)
    assert won["prover_agreed_price"].mean() == pytest.approx(expected, rel=0.10)
    np.testing.assert_allclose(won["prover_break_even"], expected, rtol=1e-9)
    assert (won["prover_agreed_price"] - won["prover_break_even"]).abs().max() < 1e-9  # no margin left


def test_one_prover_is_paid_more_but_never_above_the_outside_option(
    make_params: Callable[..., Params],
) -> None:
    single = make_params(**CLEAN, agents__provers__count=1)
    ten = simulate(make_params(**CLEAN, agents__provers__count=10)).frame
    crowd = committed(ten)
    # without self-proving the reserve is the block's value to the sequencer: its reward share (no fees, no MEV)
    params = make_params(**CLEAN)
    value = params.protocol.block_reward * params.protocol.reward_split.sequencer
    runs = 4
    award = prover_market.choose(
        single,
        np.ones(runs, dtype=bool),
        gas_price=np.full(runs, single.environment.l1.gas_price),
        block_value=np.full(runs, value),
        block_size=np.zeros(runs),
        can_self=np.zeros(runs, dtype=bool),
        prover_ok=np.ones((runs, 1), dtype=bool),
        u_pick=np.full(runs, 0.5),
    )
    assert (award.prover == 0).all()
    assert award.price.mean() > crowd["prover_agreed_price"].mean() + 1.0
    # no rival: the lone prover and the sequencer split the surplus of their deal (Nash, `bargaining_power`)
    beta = single.agents.provers.bargaining_power
    lone = break_even(single)
    assert 0 < beta < 1 and lone < value
    np.testing.assert_allclose(award.price, lone + beta * (value - lone))
    assert (award.price < value).all()
    # so keys still propose; with all the bargaining power the lone prover takes the block's whole value and no key
    # pays the gas of a proposal (`participation`)
    assert simulate(single).frame["proposals"].mean() > 2.0
    holdup = single.with_overrides({"agents.provers.bargaining_power": 1.0})
    assert simulate(holdup).frame["proposals"].sum() == 0
    # a sequencer that can prove itself pays at most its own cost plus risk
    own = make_params(
        **{**CLEAN, "agents__sequencers__self_prove_probability": 1.0},
        agents__provers__count=1,
        agents__provers__cost_per_block=30.0,  # cheaper than the sequencer's own 40: it wins, at the reserve
        agents__sequencers__prover_strategy="cheapest",
    )
    frame = committed(simulate(own).frame)
    own_cost = break_even(own.with_overrides({"agents.provers.cost_per_block": 40.0}))
    assert own.agents.sequencers.proving_cost_per_block == 40.0
    assert len(frame) > 0
    cheap = break_even(own)
    reserve = min(own_cost, value)
    np.testing.assert_allclose(frame["prover_agreed_price"], cheap + beta * (reserve - cheap), rtol=1e-9)


def test_prices_go_negative_when_the_reward_share_exceeds_cost_and_the_ledger_balances(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(**CLEAN, agents__provers__cost_per_block=5.0, protocol__prover_bond=100.0)
    assert break_even(params) < 0
    traj = simulate(params)
    frame = traj.frame
    paid = frame[(frame["mode"] == "happy") & (frame["prover"] >= 0)]
    assert len(paid) > 0 and (paid["prover_price"] < 0).all()
    assert kpis_per_run(traj)["share_negative_prover_prices"].min() == 1.0
    # conservation on every slot, and the provers' balance moves by rewards minus what they paid
    np.testing.assert_allclose(
        frame["total_supply"], frame["liquid"] + frame["staked"] + frame["bonded"], rtol=1e-12
    )
    for run, rows in frame.groupby("run"):
        received = (rows["reward_prover"] + rows["reward_submitter"]).where(rows["prover"] >= 0, 0.0)
        received = received.where(rows["submitter"] != "relay", rows["reward_prover"])
        gained = (
            rows["balance_provers"].iloc[-1]
            - params.agents.provers.count * params.agents.provers.initial_balance
        )
        expected = (received + rows["prover_price"]).sum() - rows["slashed"].where(
            rows["prover"] >= 0, 0.0
        ).sum()
        assert gained == pytest.approx(expected, rel=1e-9, abs=1e-6), run
    provers = agent_table(traj).query("role == 'prover'")
    assert provers["revenue"].sum() < (frame["reward_prover"] + frame["reward_submitter"]).sum()


def test_the_mean_price_matches_the_second_price_closed_form(make_params: Callable[..., Params]) -> None:
    """Five provers with evenly spaced costs, each present with probability 0.8: the mean agreed price is the
    expected second-lowest present bid capped by the reserve (`theory.second_price_auction`)."""
    params = make_params(
        **{**CLEAN, "sim__slots": 600, "sim__runs": 3, "agents__provers__cost_spread": 0.5},
        agents__provers__count=5,
    )
    frame = simulate(params).frame
    won = committed(frame)
    z = np.linspace(-1, 1, 5)
    base = break_even(params) - params.agents.provers.cost_per_block / (
        1 - params.agents.provers.failure_probability
    )
    bids = base + params.agents.provers.cost_per_block * (1 - 0.5 * z) / (
        1 - params.agents.provers.failure_probability
    )
    value = params.protocol.block_reward * params.protocol.reward_split.sequencer
    win, price, lowest = theory.second_price_auction(
        bids, 1 - params.agents.provers.unavailable_probability, value, params.agents.provers.bargaining_power
    )
    proposed = frame["proposals"] > 0
    n = int(proposed.sum())
    share = (frame.loc[proposed, "prover"] >= 0).mean()
    assert share == pytest.approx(win, abs=theory.proportion_tolerance(win, n))
    se = won["prover_agreed_price"].std() / np.sqrt(len(won))
    assert won["prover_agreed_price"].mean() == pytest.approx(price, abs=4 * se + 1e-9)
    se = won["prover_break_even"].std() / np.sqrt(len(won))
    assert won["prover_break_even"].mean() == pytest.approx(lowest, abs=4 * se + 1e-9)


def test_hhi_provers_is_one_over_p_for_identical_provers_and_high_when_one_is_cheapest(
    make_params: Callable[..., Params],
) -> None:
    same = kpis_per_run(simulate(make_params(**CLEAN, agents__provers__count=10)))["hhi_provers"]
    assert same.mean() == pytest.approx(0.1, abs=0.02)
    spread = make_params(**{**CLEAN, "agents__provers__cost_spread": 0.5}, agents__provers__count=10)
    assert kpis_per_run(simulate(spread))["hhi_provers"].mean() > 0.5


def test_most_reliable_gives_up_price_competition_among_unequal_provers(
    make_params: Callable[..., Params],
) -> None:
    common = {
        **CLEAN,
        "agents__provers__failure_spread": 0.5,
        "agents__provers__count": 10,
        "agents__provers__bargaining_power": 1.0,  # the most reliable prover, left alone, holds the sequencer up
    }
    runs = 200
    rng = np.random.default_rng(7)
    value = 50.0

    def award(strategy: str) -> prover_market.Award:
        params = make_params(**common, agents__sequencers__prover_strategy=strategy)
        return prover_market.choose(
            params,
            np.ones(runs, dtype=bool),
            gas_price=np.full(runs, params.environment.l1.gas_price),
            block_value=np.full(runs, value),
            block_size=np.zeros(runs),
            can_self=np.zeros(runs, dtype=bool),
            prover_ok=rng.random((runs, 10)) >= params.agents.provers.unavailable_probability,
            u_pick=rng.random(runs),
        )

    auction, reliable = award("cheapest"), award("most_reliable")
    assert reliable.price[reliable.prover >= 0].mean() > auction.price[auction.prover >= 0].mean()
    assert (reliable.prover == 0).mean() > 0.5
    # the sequencer that leaves the most reliable prover alone pays it the block's value when it is available,
    # so candidates expect less and propose less often than under the plain auction (`participation`)
    frames = {
        s: simulate(make_params(**common, agents__sequencers__prover_strategy=s)).frame
        for s in ("cheapest", "most_reliable")
    }
    assert frames["most_reliable"]["proposals"].mean() < frames["cheapest"]["proposals"].mean()


def test_aprs_are_finite_for_every_role(make_params: Callable[..., Params]) -> None:
    table = agent_table(simulate(make_params(sim__slots=200)))
    assert np.isfinite(table["apr"]).all()
    capital = table.groupby("role")["capital"].first()
    p = make_params()
    eth = p.environment.token.eth_per_token
    assert capital["prover"] == pytest.approx(
        p.protocol.prover_bond + p.agents.provers.hardware_capital / eth
    )
    assert capital["relay"] == pytest.approx(p.agents.relays.capital / eth)
    assert capital["backup"] == pytest.approx(p.agents.backup.hardware_capital / eth)


def test_token_price_follows_geometric_brownian_motion() -> None:
    keys = run_keys(11, np.arange(4000, dtype=np.int64))
    drift, vol, seconds, slots = 0.5, 2.0, 3600.0, 48
    price = token_price(keys, 0, None, "gbm", 0.001, drift, vol, seconds)
    for slot in range(1, slots + 1):
        price = token_price(keys, slot, price, "gbm", 0.001, drift, vol, seconds)
    years = slots * seconds / YEAR_SECONDS
    log = np.log(price / 0.001)
    sd = vol * np.sqrt(years)
    assert log.mean() == pytest.approx((drift - vol**2 / 2) * years, abs=4 * sd / np.sqrt(log.size))
    assert log.std() == pytest.approx(sd, rel=0.05)
    fixed = token_price(keys, 3, price, "fixed", 0.001, drift, vol, seconds)
    assert (fixed == 0.001).all()


def test_a_moving_token_price_moves_eth_costs(make_params: Callable[..., Params]) -> None:
    frame = simulate(
        make_params(
            sim__slots=100, environment__token__process="gbm", environment__token__volatility_per_year=5.0
        )
    ).frame
    assert frame["eth_per_token"].nunique() > 50
    eth_per_gwei = (
        frame["l1_cost_relay"] * frame["eth_per_token"] / frame["l1_gas_price"]
    )  # the gas in ETH/gwei
    relayed = frame["l1_cost_relay"] > 0
    assert relayed.any() and np.ptp(eth_per_gwei[relayed]) < 1e-15


@pytest.mark.parametrize(
    ("old", "hint"),
    [
        ("environment.l1.eth_per_token", "environment.token.eth_per_token"),
        ("agents.provers.margin", "second-price auction"),
    ],
)
def test_moved_and_removed_parameters_fail_with_a_hint(old: str, hint: str) -> None:
    with pytest.raises(ParamsError, match=f"{old} = 0.1: moved or removed: use .*{hint}"):
        load_params(overrides={old: 0.1})
