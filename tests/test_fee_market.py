"""The fee market: what each mechanism charges, what users keep, who is priced out, and the cost-based base fee."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import value_decile_table
from aztec_econ.model.harness import state_before
from aztec_econ.model.mechanisms import fees
from aztec_econ.params import Params
from aztec_econ.simulation import simulate

NOTHING_FAILS: dict[str, Any] = {
    "agents__sequencers__offline_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__provers__failure_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
}


def _candidates(params: Params, slots: tuple[int, ...] = (3, 40)) -> list[Any]:
    out = []
    for slot in slots:
        ctx, state = state_before(params, "settlement", slot=slot)
        out.append((ctx, state["economy"].candidate))
    return out


def test_eip1559_burns_the_base_fee_and_pays_the_producer_the_priority_fee(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        sim__slots=300,
        protocol__fee_mechanism="base_fee_burn",
        environment__demand__tx_per_second=0.3,  # above capacity: the base fee rises and prices users out
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    produced = frame[frame["mode"] != "skipped"]
    priority = params.protocol.base_fee.priority_fee
    np.testing.assert_allclose(
        produced["fees_burned"], produced["base_fee"] * produced["capacity_used"], rtol=1e-12
    )
    np.testing.assert_allclose(produced["tips"], priority * produced["capacity_used"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(produced["fees_paid"], produced["fees_burned"] + produced["tips"], rtol=1e-12)
    assert frame["base_fee"].iloc[-1] > params.protocol.base_fee.initial
    for ctx, cand in _candidates(
        params
    ):  # nobody pays more than their max fee (their value) or is left in unpriced
        taken = cand.by_bucket > 0
        values = np.broadcast_to(ctx.economy.bids[None, :], taken.shape)
        assert (cand.pricing.pay[taken] <= values[taken] + 1e-15).all()
        assert (
            cand.pricing.pay[taken] == (cand.base_fee + priority)[:, None].repeat(taken.shape[1], 1)[taken]
        ).all()
        assert not taken[~cand.pricing.includable].any()


def test_with_demand_below_the_target_the_base_fee_falls_to_its_floor(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        sim__slots=200,
        protocol__fee_mechanism="base_fee_burn",
        protocol__base_fee__floor=1e-4,
        environment__demand__tx_per_second=0.02,  # 12 per slot: an eighth of capacity
        **NOTHING_FAILS,
    )
    frame = simulate(params).frame
    assert (frame["base_fee"] >= 1e-4).all()
    assert (frame.loc[frame["slot"] >= 150, "base_fee"] == 1e-4).all()


def test_first_price_users_never_pay_more_than_their_value_and_pay_less_in_quiet_blocks(
    make_params: Callable[..., Params],
) -> None:
    busy = make_params(sim__slots=300, environment__demand__tx_per_second=0.5, **NOTHING_FAILS)
    quiet = make_params(sim__slots=300, environment__demand__tx_per_second=0.05, **NOTHING_FAILS)
    for params in (busy, quiet):
        for ctx, cand in _candidates(params):
            taken = cand.by_bucket > 0
            values = np.broadcast_to(ctx.economy.bids[None, :], taken.shape)
            assert (cand.pricing.pay[taken] <= values[taken]).all()
    per_tx = [float(kpis_per_run(simulate(p))["payment_per_tx"].mean()) for p in (busy, quiet)]
    assert per_tx[1] < per_tx[0] / 2, per_tx
    full = simulate(busy).frame
    assert (full["capacity_used"] == busy.protocol.block_capacity).mean() > 0.5
    assert (full["user_surplus"] >= 0).all()


def test_cost_based_fee_equals_its_cost_formula_at_the_oracle_price_without_congestion(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        sim__slots=60,
        protocol__fee_mechanism="cost_based",
        protocol__cost_based__congestion=False,
        protocol__cost_based__oracle_lag_slots=3,
        environment__l1__process="mean_reverting",
    )
    frame = simulate(params).frame
    g = params.protocol.l1_gas
    lag = params.protocol.cost_based.oracle_lag_slots
    for _, run in frame.groupby("run"):
        gas, blob = run["l1_gas_price"].to_numpy(), run["blob_price"].to_numpy()
        expected = fees.cost_per_mana(
            g.proposal + g.commitment + g.reveal + g.verification,
            g.blobs_per_full_block,
            params.protocol.block_capacity,
            params.protocol.cost_based.proving_cost_per_mana,
            params.environment.token.eth_per_token,
            gas[:-lag],
            blob[:-lag],
        )
        np.testing.assert_array_equal(run["base_fee"].to_numpy()[lag:], expected)
    assert frame["l1_gas_price"].nunique() > 10  # the prices moved, so the lag is checked


def test_cost_based_congestion_raises_the_fee_while_blocks_stay_above_the_target(
    make_params: Callable[..., Params],
) -> None:
    base = {
        "sim__slots": 120,
        "protocol__fee_mechanism": "cost_based",
        "environment__l1__process": "steady",
        "environment__demand__bid_scale": 1.0,  # values well above the cost: blocks fill
        "environment__demand__tx_per_second": 0.5,
        **NOTHING_FAILS,
    }
    flat = simulate(make_params(**base, protocol__cost_based__congestion=False)).frame
    congested = simulate(make_params(**base)).frame
    assert flat["base_fee"].nunique() == 1
    assert congested["base_fee"].iloc[-1] > 1.5 * flat["base_fee"].iloc[-1]
    assert (congested["fees_burned"] > 0).any() and (flat["fees_burned"] == 0).all()


def test_who_gets_in_by_value(make_params: Callable[..., Params]) -> None:
    """Under EIP-1559 with demand above capacity the low-value deciles are priced out, the high ones get in."""
    traj = simulate(
        make_params(
            sim__slots=300,
            protocol__fee_mechanism="base_fee_burn",
            environment__demand__tx_per_second=0.4,
            **NOTHING_FAILS,
        )
    )
    table = value_decile_table(traj)
    assert list(table["decile"]) == list(range(1, 11))
    assert table["share_expired"].iloc[0] > 0.9 and table["share_expired"].iloc[-1] < 0.1
    assert (np.diff(table["share_expired"]) <= 1e-9).all()  # a higher value never fares worse
    included = table["txs_included"].sum()
    assert included == traj.demand_hist[:, :, :-1].sum() == traj.frame["txs_included"].sum()


@pytest.mark.parametrize("mechanism", fees.MECHANISMS)
def test_every_mechanism_conserves_tokens_and_reports_its_kpis(
    make_params: Callable[..., Params], mechanism: str
) -> None:
    traj = simulate(make_params(sim__slots=120, protocol__fee_mechanism=mechanism))
    kpis = kpis_per_run(traj)
    for name in ("user_surplus", "payment_per_tx", "producer_fee_mev_revenue", "fee_cost_coverage"):
        assert name in kpis
    frame = traj.frame
    np.testing.assert_allclose(
        frame["fees_paid"], frame["fees_burned"] + frame["tips"], rtol=1e-12, atol=1e-12
    )
