"""Fees and burns, the mempool, L1 prices and costs, the prover market, supply and confirmation times (issue 3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aztec_econ.analysis import theory
from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import agent_table, confirmation_table
from aztec_econ.cli import main
from aztec_econ.model import kernels_economy
from aztec_econ.model.mechanisms import demand, fees, prover_market
from aztec_econ.model.mechanisms.l1_prices import PriceFileError, check_price_file, read_price_file
from aztec_econ.model.timebase import per_slot
from aztec_econ.params import BASELINE, Params, ParamsError, load_params
from aztec_econ.simulation import simulate
from aztec_econ.sweep.spec import SweepError, parse_sweep

NOTHING_FAILS: dict[str, Any] = {
    "agents__sequencers__offline_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__provers__failure_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
    "agents__sequencers__registrations_per_day": 0.0,
    "agents__sequencers__exits_per_day": 0.0,
}
FEE_COLUMNS = [
    "fees_paid",
    "fees_burned",
    "tips",
    "mev",
    "mev_burned",
    "base_fee",
    "txs_included",
    "capacity_used",
]


# --- EIP-1559 ------------------------------------------------------------------------------------------------------


def test_base_fee_rule_full_empty_and_target_blocks() -> None:
    b = np.array([1.0])
    full = fees.next_base_fee(b, np.array([100.0]), 100.0, 0.5, 0.125)
    empty = fees.next_base_fee(b, np.array([0.0]), 100.0, 0.5, 0.125)
    target = fees.next_base_fee(b, np.array([50.0]), 100.0, 0.5, 0.125)
    assert full[0] == pytest.approx(1.125) and empty[0] == pytest.approx(0.875) and target[0] == 1.0
    for _ in range(9):
        full = fees.next_base_fee(full, np.array([100.0]), 100.0, 0.5, 0.125)
    assert full[0] == pytest.approx(1.125**10) and round(full[0], 3) == 3.247
    assert theory.base_fee_after_blocks(1.0, 1.0, 10, 0.5, 0.125) == pytest.approx(3.2473, abs=1e-4)


def test_ten_full_blocks_raise_the_simulated_base_fee_by_3247(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=12,
        protocol__fee_mechanism="base_fee_burn",
        protocol__base_fee__initial=1e-4,
        environment__demand__tx_per_second=1000.0 / 600,
        environment__demand__shocks_per_day=0.0,
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    for _, run in frame.groupby("run"):
        fee = run["base_fee"].to_numpy()
        assert (run["capacity_used"].iloc[:10] == params.protocol.block_capacity).all()
        assert fee[10] / fee[0] == pytest.approx(1.125**10, rel=1e-12)


def test_base_fee_falls_by_an_eighth_per_empty_block(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=6,
        protocol__fee_mechanism="base_fee_burn",
        environment__demand__tx_per_second=0.0 / 600,
        **NOTHING_FAILS,
    )
    fee = simulate(params).frame.groupby("run")["base_fee"].apply(np.array).iloc[0]
    np.testing.assert_allclose(fee[1:] / fee[:-1], 0.875)


@pytest.mark.slow
def test_base_fee_converges_to_the_linear_demand_equilibrium(make_params: Callable[..., Params]) -> None:
    rate, high, buckets = 400.0, 0.02, 64
    params = make_params(
        sim__slots=1500,
        sim__runs=4,
        protocol__fee_mechanism="base_fee_burn",
        protocol__base_fee__initial=0.001,
        environment__demand__tx_per_second=rate / 600,
        environment__demand__shocks_per_day=0.0,
        environment__demand__bid_distribution="uniform",
        environment__demand__bid_scale=high,
        environment__demand__bid_buckets=buckets,
        environment__demand__expiry_minutes=10,
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    late = frame[frame["slot"] >= 500]
    expected = theory.eip1559_equilibrium_base_fee(
        rate,
        params.environment.demand.tx_size,
        params.protocol.block_capacity,
        params.protocol.base_fee.target_utilisation,
        high,
        params.protocol.base_fee.priority_fee,
    )
    per_run = late.groupby("run")["base_fee"].mean()
    se = per_run.std(ddof=1) / np.sqrt(per_run.size)
    # the bid grid quantises demand: allow one bucket width plus four standard errors
    assert abs(per_run.mean() - expected) <= high / buckets + 4 * se, (per_run.mean(), expected)
    assert late["capacity_used"].mean() == pytest.approx(500.0, rel=0.05)


# --- mempool ---------------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    pending=st.lists(st.integers(0, 30), min_size=24, max_size=24),
    capacity=st.integers(0, 200),
    floor=st.integers(0, 6),
)
def test_a_higher_bid_never_waits_while_a_lower_one_of_the_same_age_is_included(
    pending: list[int], capacity: int, floor: int
) -> None:
    counts = np.array(pending, dtype=np.int64).reshape(1, 6, 4)
    eligible = (np.arange(6) >= floor)[None, :]
    included = demand.select(counts, eligible, capacity)
    waiting = counts - included
    assert (included >= 0).all() and (waiting >= 0).all() and included.sum() <= capacity
    assert included[:, ~eligible[0]].sum() == 0
    for age in range(4):
        for high in range(6):
            if eligible[0, high] and waiting[0, high, age] > 0:
                assert included[0, :high, age].sum() == 0


def test_when_capacity_binds_blocks_are_full_and_transactions_wait_and_expire(
    make_params: Callable[..., Params],
) -> None:
    """The ordering rule itself is tested on `demand.select` above; here the simulation congests."""
    params = make_params(
        sim__slots=200,
        environment__demand__tx_per_second=300.0 / 600,
        environment__demand__bid_buckets=4,
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    assert (frame["capacity_used"] == params.protocol.block_capacity).mean() > 0.9
    assert frame["txs_expired"].sum() > 0 and (frame["txs_pending"] > 0).mean() > 0.9
    # the confirmation times stretch: transactions wait whole slots
    assert confirmation_table(simulate(params)).set_index("stage").loc["proposal", "p90_minutes"] > 20


def test_same_seed_gives_the_same_demand_under_every_mechanism(make_params: Callable[..., Params]) -> None:
    arrived = {}
    for mechanism in fees.MECHANISMS:
        frame = simulate(make_params(sim__slots=150, protocol__fee_mechanism=mechanism)).frame
        arrived[mechanism] = frame["txs_arrived"].to_numpy()
    for mechanism in fees.MECHANISMS[1:]:
        np.testing.assert_array_equal(arrived[mechanism], arrived["first_price"])


def test_zero_demand_gives_zero_fees(make_params: Callable[..., Params]) -> None:
    for mechanism in fees.MECHANISMS:
        frame = simulate(
            make_params(
                sim__slots=60, protocol__fee_mechanism=mechanism, environment__demand__tx_per_second=0.0 / 600
            )
        ).frame
        assert (frame[[c for c in FEE_COLUMNS if c != "base_fee"]] == 0).all().all()
        assert (frame["txs_pending"] == 0).all()


def test_with_infinite_capacity_nothing_waits(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=100,
        protocol__block_capacity=1e9,  # 100 million transactions: nothing ever waits
        agents__provers__capacity=1e10,
        environment__demand__tx_per_second=500.0 / 600,
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    assert (frame["mode"] == "happy").all()
    assert (frame["txs_pending"] == 0).all() and (frame["txs_expired"] == 0).all()
    assert frame["txs_late"].sum() > 0  # reveals late in the slot take some of its own submissions
    for _, run in frame.groupby(
        "run"
    ):  # every block takes what was submitted before its reveal and not yet taken
        included, arrived, late = (run[c].to_numpy() for c in ("txs_included", "txs_arrived", "txs_late"))
        np.testing.assert_array_equal(included[1:], arrived[:-1] - late[:-1] + late[1:])


# --- fee mechanisms --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", fees.MECHANISMS)
def test_fees_paid_equal_burned_plus_producer_fees_every_slot(
    make_params: Callable[..., Params], mechanism: str
) -> None:
    # the cost-based fee (about 0.07 tokens/mana at the baseline's L1 prices) prices out the baseline's values
    # (median 0.01 tokens/mana): give users values that cover it
    values = {"environment__demand__bid_scale": 0.2} if mechanism == "cost_based" else {}
    params = make_params(sim__slots=200, protocol__fee_mechanism=mechanism, **values)
    frame = simulate(params).frame
    np.testing.assert_allclose(
        frame["fees_paid"], frame["fees_burned"] + frame["tips"], rtol=1e-12, atol=1e-12
    )
    assert frame["fees_paid"].sum() > 0
    if mechanism == "first_price":
        assert (frame["fees_burned"] == 0).all() and (frame["mev_burned"] == 0).all()
    if mechanism == "full_burn":  # theory: a full burn leaves producers no fee revenue
        assert (frame["tips"] == 0).all()
        np.testing.assert_allclose(frame["fees_burned"], frame["fees_paid"])
    if mechanism == "mev_burn":
        np.testing.assert_allclose(frame["mev_burned"], params.protocol.mev_burn_share * frame["mev"])
    if mechanism == "base_fee_burn":
        produced = frame[frame["txs_included"] > 0]
        np.testing.assert_allclose(
            produced["fees_burned"], produced["base_fee"] * produced["capacity_used"], rtol=1e-12
        )
    skipped = frame[frame["mode"] == "skipped"]
    assert (skipped[FEE_COLUMNS[:5]] == 0).all().all()


def test_supply_changes_by_issuance_minus_burns(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=300, protocol__fee_mechanism="full_burn")
    traj = simulate(params)
    frame = traj.frame
    for run, rows in frame.groupby("run"):
        opening = rows["total_supply"].iloc[0] - rows["minted"].iloc[0] + rows["burned"].iloc[0]
        change = rows["total_supply"].iloc[-1] - opening
        assert change == pytest.approx(rows["minted"].sum() - rows["burned"].sum(), rel=1e-12, abs=1e-6)
        kpi = kpis_per_run(traj).set_index("run").loc[run]
        days = params.sim.slots / params.protocol.slots_per_day
        expected = (
            theory.net_inflation(rows["minted"].sum(), rows["burned"].sum(), opening) * 365 / days * 100
        )
        assert kpi["net_inflation_pct_per_year"] == pytest.approx(expected)
        assert rows["burned"].sum() >= rows["fees_burned"].sum() > 0


# --- L1 prices and costs ---------------------------------------------------------------------------------------------


def test_mean_reverting_log_prices_match_the_stationary_law(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=1500,
        sim__runs=4,
        environment__l1__reversion_per_hour=1.3,
        environment__l1__volatility_per_hour=0.7,
    )
    frame = simulate(params).frame
    logs = np.log(frame.loc[frame["slot"] >= 100, "l1_gas_price"])
    ps = per_slot(params)
    mean, var = theory.log_ou_stationary(20.0, ps.l1_reversion, ps.l1_volatility)
    assert var == pytest.approx(0.7**2 / (2 * 1.3))  # the continuous-time law: the slot length drops out
    # autocorrelated samples: effective sample size ~ n (1 - phi) / (1 + phi), phi = 1 - theta
    theta = ps.l1_reversion
    n_eff = len(logs) * theta / (2 - theta)
    assert abs(logs.mean() - mean) <= 4 * np.sqrt(var / n_eff)
    assert logs.var() == pytest.approx(var, rel=4 * np.sqrt(2 / n_eff))


def test_shock_and_steady_prices(make_params: Callable[..., Params]) -> None:
    steady = simulate(make_params(sim__slots=100, environment__l1__process="steady")).frame
    assert (steady["l1_gas_price"] == 20.0).all() and (steady["blob_price"] == 1.0).all()
    shock = simulate(
        make_params(
            sim__slots=400, environment__l1__process="shock", environment__l1__shocks_per_day=0.02 * 144
        )
    ).frame
    assert set(np.unique(shock["l1_gas_price"])) == {20.0, 100.0}


def test_price_file_is_read_and_cycled(make_params: Callable[..., Params]) -> None:
    frame = simulate(make_params(sim__slots=7, environment__l1__price_file="tests/data/l1_prices.csv")).frame
    run = frame[frame["run"] == 0]
    assert run["l1_gas_price"].tolist() == [15, 30, 22.5, 15, 30, 22.5, 15]
    assert run["blob_price"].tolist() == [1, 2.5, 0.5, 1, 2.5, 0.5, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gas,blob_price\n1,2\n", "line 1: header lacks column"),
        ("l1_gas_price,blob_price\n1,2\n3,abc\n", "line 3, column blob_price: 'abc' is not a number"),
        ("l1_gas_price,blob_price\n-1,2\n", "line 2, column l1_gas_price"),
        ("l1_gas_price,blob_price\n", "no data rows"),
    ],
)
def test_malformed_price_file_fails_before_the_run_naming_file_line_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    with pytest.raises(PriceFileError, match=message):
        read_price_file(str(path))
    problem = rf"environment\.l1\.price_file = .*prices\.csv.*{message[:6]}"  # the place, never the contents
    params = load_params(overrides={"environment.l1.price_file": str(path)})  # parameters never read files
    with pytest.raises(ParamsError, match=problem):
        check_price_file(params)
    with pytest.raises(ParamsError, match=problem):
        simulate(params)
    with pytest.raises(SweepError, match=rf"point 0 \(\(base\)\): {problem}"):
        parse_sweep(
            {"name": "bad", "base": str(BASELINE), "overrides": {"environment.l1.price_file": str(path)}},
            tmp_path,
        )
    assert main(["simulate", "--set", f"environment.l1.price_file={path}", str(BASELINE)]) == 2
    assert re.search(problem, capsys.readouterr().err)


def test_l1_costs_follow_gas_prices_and_consolidation_saves_gas(make_params: Callable[..., Params]) -> None:
    base = make_params(sim__slots=150, environment__l1__process="steady", **NOTHING_FAILS)
    frame = simulate(base).frame
    double = simulate(
        base.with_overrides({"environment.l1.gas_price": 40.0, "environment.l1.blob_price": 2.0})
    ).frame
    np.testing.assert_allclose(double["l1_cost"], 2 * frame["l1_cost"])
    # consolidation saves a transaction per block, but every proposer then carries a commitment: cheaper with one
    # proposer per slot, dearer with three
    merged = simulate(base.with_overrides({"protocol.variants.consolidate_proposal_commitment": True})).frame
    assert merged["l1_cost"].sum() > frame["l1_cost"].sum()
    single = {"agents.sequencers.proposers_per_slot": 1}
    alone = simulate(base.with_overrides(single)).frame
    merged = simulate(
        base.with_overrides({**single, "protocol.variants.consolidate_proposal_commitment": True})
    ).frame
    assert merged["l1_cost"].sum() < alone["l1_cost"].sum()
    np.testing.assert_allclose(
        frame[[c for c in frame if c.startswith("l1_cost_")]].sum(axis=1), frame["l1_cost"]
    )


# --- the prover market -----------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    bond=st.floats(0.0, 3000.0),
    extra=st.floats(0.0, 3000.0),
    value=st.floats(0.0, 300.0),
    gas=st.floats(0.0, 200.0),
    failure=st.floats(0.0, 0.9),
    strategy=st.sampled_from(["cheapest", "most_reliable", "self_prove_when_able"]),
)
def test_raising_the_bond_never_raises_commitments_and_nobody_commits_at_a_loss(
    bond: float, extra: float, value: float, gas: float, failure: float, strategy: str
) -> None:
    params = load_params(
        overrides={
            "agents.provers.failure_probability": failure,
            "agents.provers.failure_spread": 0.5,
            "agents.sequencers.prover_strategy": strategy,
            "protocol.prover_bond": bond,
        }
    )
    runs = 64
    rng = np.random.default_rng(7)
    inputs = {
        "proposed": np.ones(runs, dtype=bool),
        "gas_price": np.full(runs, gas),
        "block_value": rng.uniform(0, value, runs),
        "block_size": rng.uniform(0, 1500, runs),
        "can_self": rng.uniform(size=runs) < 0.3,
        "prover_ok": rng.uniform(size=(runs, params.agents.provers.count)) < 0.7,
        "u_pick": rng.uniform(size=runs),
    }
    low = prover_market.choose(params, **inputs)
    higher = params.with_overrides({"protocol.prover_bond": bond + extra})
    high = prover_market.choose(higher, **inputs)
    assert not ((high.self_proved | (high.prover >= 0)) & ~(low.self_proved | (low.prover >= 0))).any()
    # every committed third-party prover expects a non-negative profit at its agreed price: price >= its bid
    won = low.prover >= 0
    bids = prover_market.bids(params, inputs["gas_price"])
    own_bid = bids.price[np.flatnonzero(won), low.prover[won]]
    np.testing.assert_array_equal(low.break_even[won], own_bid)
    assert (low.price[won] >= own_bid - 1e-9).all()
    success = bids.success[np.flatnonzero(won), low.prover[won]]
    cost = bids.cost[np.flatnonzero(won), low.prover[won]]
    reward = bids.reward[np.flatnonzero(won), low.prover[won]]
    profit = success * (low.price[won] + reward) - cost - (1.0 - success) * bond
    assert (profit >= -1e-6 * np.maximum(1.0, np.abs(cost))).all()


def test_commitment_rate_does_not_rise_with_the_bond(make_params: Callable[..., Params]) -> None:
    rates = []
    for bond in (0.0, 500.0, 2000.0, 6000.0):
        frame = simulate(
            make_params(
                sim__slots=200,
                protocol__prover_bond=bond,
                agents__provers__initial_balance=1e7,
                agents__sequencers__initial_balance=1e5,
                agents__provers__failure_probability=0.05,
            )
        ).frame
        rates.append(((frame["prover"] >= 0) | frame["self_proved"]).mean())
    assert rates == sorted(rates, reverse=True) and rates[-1] < rates[0]


def test_nobody_quotes_profitably_sends_the_slot_to_backup(make_params: Callable[..., Params]) -> None:
    frame = simulate(
        make_params(
            sim__slots=100,
            agents__provers__cost_per_block=1e6,
            agents__sequencers__proving_cost_per_block=1e6,
        )
    ).frame
    assert (frame["prover"] == -1).all() and not frame["self_proved"].any()
    assert set(frame["backup_reason"].unique()) <= {"no_proposal", "no_commitment"}


@pytest.mark.parametrize("strategy", ["cheapest", "most_reliable", "self_prove_when_able"])
def test_strategies_pick_as_they_say(make_params: Callable[..., Params], strategy: str) -> None:
    params = make_params(
        sim__slots=200,
        agents__sequencers__prover_strategy=strategy,
        agents__provers__failure_spread=0.5,
        agents__provers__cost_spread=0.0 if strategy == "most_reliable" else 0.5,
        agents__sequencers__self_prove_probability=0.5,
    )
    frame = simulate(params).frame
    third = frame.loc[frame["prover"] >= 0, "prover"]
    if strategy == "cheapest":  # the last prover is the cheapest (z = +1)
        assert (third == params.agents.provers.count - 1).mean() > 0.5
    if strategy == "most_reliable":
        assert (third == 0).mean() > 0.5
    if strategy == "self_prove_when_able":
        assert frame["self_proved"].mean() == pytest.approx(0.5, abs=0.1)
    paid = frame[(frame["mode"] == "happy") & (frame["prover"] >= 0)]
    np.testing.assert_array_equal(paid["prover_price"], paid["prover_agreed_price"])


# --- participants, confirmation times, variants ----------------------------------------------------------------------


def test_agent_table_adds_up(make_params: Callable[..., Params]) -> None:
    traj = simulate(make_params(sim__slots=200))
    agents = agent_table(traj)
    assert set(agents["role"]) == {"sequencer", "prover", "relay", "backup"}
    np.testing.assert_allclose(agents["profit"], agents["revenue"] - agents["cost"])
    frame = traj.frame
    revenue = agents.groupby("run")["revenue"].sum()
    rewards = frame.groupby("run")[["block_reward", "tips", "mev"]].sum()
    kept = (
        rewards["block_reward"] + rewards["tips"] + rewards["mev"] - frame.groupby("run")["mev_burned"].sum()
    )
    np.testing.assert_allclose(revenue, kept + frame.groupby("run")["prover_price"].sum())


def test_confirmation_stages_are_ordered(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=200)
    table = confirmation_table(simulate(params)).set_index("stage")
    medians = table["median_minutes"].to_numpy()
    assert (np.diff(medians) >= 0).all()
    finality = params.environment.l1.finality_blocks * params.protocol.l1_block_seconds / 60
    assert table.loc["finalized_l1", "mean_minutes"] - table.loc["proven", "mean_minutes"] == pytest.approx(
        finality
    )
    assert (table["txs"] > 0).all() and (table["p99_minutes"] >= table["p90_minutes"]).all()


def test_design_variants(make_params: Callable[..., Params]) -> None:
    base = make_params(
        sim__slots=200, agents__sequencers__reveal_failure_probability=0.2, protocol__prover_bond=100.0
    )
    plain = simulate(base).frame
    bonus = simulate(base.with_overrides({"protocol.variants.early_reveal_bonus": 5.0})).frame
    assert bonus["minted"].sum() > plain["minted"].sum()
    decay = simulate(base.with_overrides({"protocol.variants.reward_decay_per_l1_block": 0.02})).frame
    assert decay["reward_sequencer"].sum() < plain["reward_sequencer"].sum()
    sidecar = simulate(base.with_overrides({"protocol.variants.sidecar_phase_order": True})).frame
    assert (sidecar["backup_reason"] != "no_reveal").all()  # no bond is at stake before the reveal
    assert plain.loc[plain["backup_reason"] == "no_reveal", "slashed"].gt(0).all()


def test_economics_results_do_not_depend_on_the_batch(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=120, sim__runs=3, protocol__fee_mechanism="base_fee_burn")
    full = simulate(params).frame
    alone = simulate(params, runs=[2]).frame
    pd.testing.assert_frame_equal(
        full[full["run"] == 2].reset_index(drop=True)[FEE_COLUMNS], alone.reset_index(drop=True)[FEE_COLUMNS]
    )


def test_profit_driven_entry_and_exit_follow_the_apr(make_params: Callable[..., Params]) -> None:
    base = {
        "sim__slots": 720,
        "agents__sequencers__profit_driven_entry_exit": True,
        "agents__sequencers__registrations_per_day": 20.0,
        "agents__sequencers__exits_per_day": 20.0,
    }
    day = 144  # the first day is planned before any APR is known: base rates
    unprofitable = simulate(make_params(**base, environment__reservation_yield=5.0)).frame
    profitable = simulate(make_params(**base, environment__reservation_yield=-5.0)).frame
    unprofitable, profitable = (
        unprofitable[unprofitable["slot"] >= day],
        profitable[profitable["slot"] >= day],
    )
    # APR far below the yield: no entries while keys remain (with nearly none left, one key would earn the pool)
    assert unprofitable.loc[unprofitable["active_sequencers"] >= 10, "registrations"].sum() == 0
    assert profitable["exit_signals"].sum() == 0  # far above: no exits
    # four days x 3 runs at up to 4 x 20 a day
    assert profitable["registrations"].sum() > 4 * 3 * 20
    assert unprofitable["exit_signals"].sum() > 4 * 3 * 20
    off = simulate(make_params(sim__slots=300)).frame
    same = simulate(make_params(sim__slots=300, environment__reservation_yield=5.0)).frame
    pd.testing.assert_frame_equal(off, same)  # the switch off: the rates are the base rates


def test_parquet_round_trip_keeps_the_confirmation_table(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    traj = simulate(make_params(sim__slots=60))
    back = type(traj).read_parquet(traj.to_parquet(tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(confirmation_table(back), confirmation_table(traj))
    pd.testing.assert_frame_equal(agent_table(back), agent_table(traj))


def _select_numpy(pending: np.ndarray, eligible: np.ndarray, capacity: int) -> np.ndarray:
    """The block-building rule written in numpy, as the model ran it before it was compiled (the reference)."""
    _, buckets, ages = pending.shape
    offered = pending * eligible[:, :, None]
    rows = offered[:, ::-1, ::-1].reshape(-1, buckets * ages)
    before = np.cumsum(rows, axis=1) - rows
    return np.minimum(np.maximum(capacity - before, 0), rows).reshape(-1, buckets, ages)[:, ::-1, ::-1]


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("capacity", [-5, 0, 150, 10**6])
def test_the_compiled_block_selection_equals_the_numpy_expression(runs: int, capacity: int) -> None:
    rng = np.random.default_rng(runs + abs(capacity))
    pending = rng.integers(0, 20, (runs, 16, 12)) * (rng.random((runs, 16, 12)) < 0.6)
    eligible = rng.random((runs, 16)) < 0.7
    if runs:
        eligible[0] = False  # an empty block
    expected = _select_numpy(pending, eligible, capacity)
    cut_bucket, cut_age, cut_take, by_bucket, by_age = kernels_economy.select_mempool(
        pending.astype(np.int32), eligible, capacity
    )
    included = kernels_economy.selected(pending, (eligible, cut_bucket, cut_age, cut_take))
    np.testing.assert_array_equal(included, expected)
    np.testing.assert_array_equal(by_bucket, expected.sum(axis=2))
    np.testing.assert_array_equal(by_age, expected.sum(axis=1))
    assert included.dtype == np.int64 and by_bucket.dtype == by_age.dtype == np.int64
    # the cut: the first cell in priority order that does not fit whole; every cell after it is left
    for i in np.flatnonzero(cut_bucket >= 0):
        b, a = cut_bucket[i], cut_age[i]
        assert eligible[i, b] and included[i, b, a] == cut_take[i] < pending[i, b, a]
        assert by_bucket[i].sum() == max(capacity, 0)  # a negative capacity takes nothing
    assert (
        (cut_bucket >= 0) == (expected.sum(axis=(1, 2)) < (pending * eligible[:, :, None]).sum(axis=(1, 2)))
    ).all()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), capacity=st.integers(0, 400))
def test_the_compiled_block_builder_equals_its_numpy_reference(seed: int, capacity: int) -> None:
    rng = np.random.default_rng(seed)
    pending = rng.integers(0, 12, (5, 7, 4))
    eligible = rng.random((5, 7)) < 0.7
    selection, by_bucket, by_age = demand.select_by_bucket(pending, eligible, capacity)
    included = selection.dense(pending)
    expected = _select_numpy(pending, eligible, capacity)
    np.testing.assert_array_equal(included, expected)
    np.testing.assert_array_equal(by_bucket, expected.sum(axis=2))
    np.testing.assert_array_equal(by_age, expected.sum(axis=1))
