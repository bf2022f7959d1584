"""The prover auction (`prover_market`): a second-price auction with the sequencer's outside option as the reserve.

Fixed seeds; tolerances from standard errors of the simulated means (4 standard errors) where the figure is random.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

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


@pytest.mark.parametrize("strategy", ["cheapest", "most_reliable", "self_prove_when_able"])
def test_the_compiled_auction_equals_its_numpy_reference(
    make_params: Callable[..., Params], strategy: str
) -> None:
    """`choose` (compiled) and `choose_numpy` agree exactly on random slots: ties, provers without a bid, blocks that
    do not fit, proofs that cannot land (on-time chance 0), negative and infinite break-evens, strategies."""
    rng = np.random.default_rng(11)
    runs, n = 400, 6
    for beta, spread, capacity in ((0.5, 0.5, 2e7), (1.0, 0.0, 1.0), (0.0, 0.9, 2e7)):
        params = make_params(
            agents__sequencers__prover_strategy=strategy,
            agents__provers__count=n,
            agents__provers__bargaining_power=beta,
            agents__provers__failure_spread=spread,
            agents__provers__cost_spread=spread,
            agents__provers__capacity=capacity,
        )
        inputs: dict[str, Any] = dict(
            proposed=rng.random(runs) < 0.9,
            gas_price=rng.choice([0.0, 5.0, 30.0, 200.0], runs),
            block_value=rng.choice([-5.0, 0.0, 20.0, 80.0, 1e4], runs),
            block_size=rng.choice([0.0, 1.0, 5e5], runs),
            can_self=rng.random(runs) < 0.5,
            prover_ok=rng.random((runs, n)) < 0.7,
            u_pick=rng.random(runs),
            on_time=rng.choice([0.0, 0.3, 1.0], runs),
            reward_factor=rng.choice([0.0, 0.5, 1.0], runs),
            eth_per_token=rng.choice([1e-5, 1e-4], runs),
        )
        fast, reference = prover_market.choose(params, **inputs), choose_numpy(params, **inputs)
        for field in ("self_proved", "prover", "price", "break_even", "bidders", "own_price"):
            np.testing.assert_array_equal(getattr(fast, field), getattr(reference, field), err_msg=field)
        assert (fast.prover >= 0).any() and fast.self_proved.any() and (fast.prover < 0).any()


def slot_terms_numpy(
    params: Params,
    gas_price: NDArray[np.float64],
    m: prover_market.Market,
    reward_factor: NDArray[np.float64],
    eth_per_token: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """`prover_market.slot_terms`' tokens per gas, submitted share and reward share in numpy, as the model computed
    them before they were compiled: the reference the kernel is held to, bit for bit."""
    pr = params.protocol
    with np.errstate(divide="ignore", invalid="ignore"):
        tokens_per_gas = gas_price * prover_market.GWEI / eth_per_token
        relayed = prover_market.relay_pays(params, pr.block_reward * reward_factor, gas_price, eth_per_token)
    submits = np.where(relayed, m.submits, 1.0)
    reward = pr.block_reward * reward_factor * (pr.reward_split.prover + pr.reward_split.submitter * submits)
    return tokens_per_gas, submits, reward


@pytest.mark.parametrize("runs", [0, 1, 7, 400])
def test_the_compiled_slot_terms_equal_their_numpy_expressions(
    make_params: Callable[..., Params], runs: int
) -> None:
    """`slot_terms` (compiled: `kernels_economy.prover_terms`) gives the numpy expressions' words exactly: gas
    prices around the relay's break-even (both sides of `relay_pays`), a decayed and a zero reward, zero gas and a
    zero token price (inf and NaN tokens per gas, as numpy divides)."""
    rng = np.random.default_rng(runs + 5)
    for submission_share in (0.0, 0.6, 1.0):
        params = make_params(agents__relays__submission_share=submission_share)
        pr = params.protocol
        m = prover_market.market(params)
        eth = rng.choice([0.0, 1e-5, 1e-4, 3e-3], runs)
        factor = rng.choice([0.0, 0.37, 1.0], runs)
        # the gas price at which the submitter's share just covers the verification gas, scaled around it
        even = pr.block_reward * pr.reward_split.submitter * factor * eth / (pr.l1_gas.verification * 1e-9)
        gas = np.where(rng.random(runs) < 0.2, 0.0, even * rng.choice([0.5, 1.0, 1.5], runs))
        gas = np.where(
            (eth == 0) & (rng.random(runs) < 0.5), 30.0, gas
        )  # a positive gas price at no token price
        on_time = rng.random(runs)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = prover_market.slot_terms(params, gas, m, on_time, factor, eth)
        expected = slot_terms_numpy(params, gas, m, factor, eth)
        for name, want in zip(("tokens_per_gas", "submits", "reward"), expected, strict=True):
            got = getattr(terms, name)
            assert got.dtype == np.float64 and got.shape == (runs,), name
            np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64), err_msg=name)
        assert terms.timely is on_time
        if (
            runs
        ):  # one price and one reward factor for every run: broadcast as the numpy expressions broadcast them
            one = prover_market.slot_terms(params, gas, m, on_time, factor[:1], eth[-1:])
            broadcast = slot_terms_numpy(params, gas, m, np.full(runs, factor[0]), np.full(runs, eth[-1]))
            for name, want in zip(("tokens_per_gas", "submits", "reward"), broadcast, strict=True):
                np.testing.assert_array_equal(
                    getattr(one, name).view(np.uint64), want.view(np.uint64), err_msg=name
                )
        if (
            runs >= 400 and 0 < submission_share < 1
        ):  # both sides of the relay rule, and the non-finite prices
            assert set(np.unique(terms.submits)) == {m.submits, 1.0}
            assert np.isinf(terms.tokens_per_gas).any() and np.isnan(terms.tokens_per_gas).any()


def choose_numpy(
    params: Params,
    proposed: NDArray[np.bool_],
    gas_price: NDArray[np.float64],
    block_value: NDArray[np.float64],
    block_size: NDArray[np.float64],
    can_self: NDArray[np.bool_],
    prover_ok: NDArray[np.bool_],
    u_pick: NDArray[np.float64],
    m: prover_market.Market | None = None,
    on_time: NDArray[np.float64] | None = None,
    reward_factor: NDArray[np.float64] | None = None,
    eth_per_token: NDArray[np.float64] | None = None,
) -> prover_market.Award:
    """The auction of each run's block (`prover_market`'s docstring) written in numpy, as the model ran it before
    it was compiled: the reference `prover_market.choose` is held to, exactly.

    `block_value`: what finalization is worth to the sequencer (tokens); `block_size`: the block's capacity used
    (mana); `can_self`: the winner has proving hardware and the bond; `prover_ok`: runs x provers, available with a
    balance covering the bond; `u_pick`: tie-break uniforms; `m`: the market's constants (default: derived from
    `params`; a simulation passes the context's); `on_time`, `reward_factor`: `proving.outlook` (default 1): every
    option prices both in, since provers know their proving-time distribution; `eth_per_token`: the slot's token
    price (default the starting one).
    """
    m = prover_market.market(params) if m is None else m
    n = params.agents.provers.count
    runs = gas_price.size
    b = prover_market.bids(params, gas_price, m, on_time, reward_factor, eth_per_token)
    fits = proposed & (block_size <= params.agents.provers.capacity)
    bidding = prover_ok & np.isfinite(b.price[:, :n]) & (fits & m.static_ok)[:, None]
    own = b.price[:, n]
    self_ok = fits & can_self & (own <= block_value)
    strategy = params.agents.sequencers.prover_strategy
    if strategy == "most_reliable":  # only the most reliable bidders take part
        key = np.where(bidding, m.failure[None, :n], np.inf)
        bidding &= key <= key.min(axis=1, keepdims=True)
    reserve = np.where(
        self_ok & (strategy != "self_prove_when_able"), np.minimum(own, block_value), block_value
    )
    offers = np.where(bidding, b.price[:, :n], np.inf)
    ordered = np.sort(offers, axis=1) if n else np.full((runs, 1), np.inf)
    lowest = ordered[:, 0]
    second = ordered[:, 1] if ordered.shape[1] > 1 else np.full(runs, np.inf)
    beta = params.agents.provers.bargaining_power
    with np.errstate(invalid="ignore"):  # no bidder: lowest is inf, unused
        bargain = lowest + beta * (reserve - lowest)
    third_wins = (lowest <= reserve) & ~(self_ok & (strategy == "self_prove_when_able"))
    pick = pick_uniform(bidding & (offers <= lowest[:, None]) & third_wins[:, None], u_pick)
    prover = np.where(third_wins & (pick >= 0), pick, -1)
    won = prover >= 0
    rows = np.arange(runs)
    return prover_market.Award(
        self_proved=self_ok & ~won,
        prover=prover,
        price=np.where(won, np.minimum(second, bargain), 0.0),
        break_even=np.where(won, b.price[rows, np.maximum(prover, 0)], 0.0),
        bidders=bidding.sum(axis=1).astype(np.int64),
        own_price=own,
    )


def pick_uniform(eligible: NDArray[np.bool_], u: NDArray[np.float64]) -> NDArray[np.int64]:
    """Per row, the index of one True column chosen uniformly by `u` (rows x 1 uniforms), or -1 if none: the
    tie-break the model used before the auction was compiled."""
    if eligible.shape[1] == 0:
        return np.full(eligible.shape[0], -1, dtype=np.int64)
    count = eligible.sum(axis=1)
    nth = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
    chosen = np.argmax(np.cumsum(eligible, axis=1) > nth[:, None], axis=1)
    return np.where(count > 0, chosen, -1)
