"""The market of the coming slot: the mempool ages and takes the slot's arrivals, L1 prices move, and the candidate
block is prepared.

The candidate block (which pending transactions it takes, what they pay) is prepared at the end of the previous slot
(at genesis for slot 0): the selection does not depend on who wins the election (every sequencer orders by bid), and
the prover market needs the block's value and size at commitment time. The economy's state (`Economy`) also carries
what `settlement` did in the slot. Sources: spec Economics; demand, prices and amounts are assumptions (see
`demand`, `l1_prices`, `fees`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.mechanisms import demand, fees
from aztec_econ.model.mechanisms.l1_prices import L1Prices, l1_step

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Candidate:
    """The block the slot's producer will publish, per run (prepared before the slot)."""

    included: I64
    """Transactions it takes (runs x buckets x ages)."""
    base_fee: F64
    """Base fee it faces (tokens/mana; 0 unless base_fee_burn)."""
    paid: F64
    burned: F64
    tips: F64
    mev: F64
    mev_burned: F64
    used: F64
    """Capacity used (mana)."""
    txs: I64
    """Transactions it takes."""

    @property
    def value_to_producer(self) -> F64:
        """Fees and MEV the producer keeps (tokens)."""
        return np.asarray(self.tips + self.mev - self.mev_burned, dtype=np.float64)


@dataclass(frozen=True)
class Settled:
    """What the slot's settlement did (per run): the economics output columns."""

    columns: dict[str, NDArray[Any]]
    included_by_age: I64
    """Transactions included by slots waited (runs x expiry_slots): confirmation times."""


@dataclass(frozen=True)
class Economy:
    """Mempool, base fee, L1 prices and the prepared candidate block, per run."""

    pending: I64
    """Pending transactions (runs x buckets x ages), arrivals of the coming slot included."""
    pending_total: I64
    """Their number per run."""
    base_fee: F64
    prices: L1Prices
    shock_left: I64
    """Slots the current demand shock still lasts."""
    candidate: Candidate
    settled: Settled | None
    sequencer_profit: F64
    """Sequencers' profit so far (tokens; revenue minus costs as in `metrics.agent_table`)."""
    stake_slots: F64
    """Sum over slots so far of the eligible keys (key-slots): the capital-time of the APR."""

    def sequencer_apr(self, ctx: Context) -> F64:
        """Sequencers' APR so far: profit over (minimum stake x mean eligible keys) per year; the target before the
        first slot."""
        p = ctx.params
        capital_years = p.protocol.minimum_stake * self.stake_slots / (365.0 * p.protocol.slots_per_day)
        with np.errstate(divide="ignore", invalid="ignore"):
            apr = self.sequencer_profit / capital_years
        return np.where(capital_years > 0, apr, p.agents.sequencers.target_apr)


def _prices(ctx: Context, slot: int, previous: L1Prices | None) -> L1Prices:
    l1 = ctx.params.environment.l1
    return l1_step(
        ctx.keys,
        slot,
        previous,
        l1.process,
        l1.gas_price,
        l1.blob_price,
        l1.volatility,
        l1.reversion,
        l1.shock_probability,
        l1.shock_multiplier,
        l1.shock_slots,
        ctx.economy.table,
    )


def prepare(ctx: Context, pending: I64, base_fee: F64, mev_draw: F64) -> Candidate:
    """The candidate block from the mempool under the slot's base fee."""
    p = ctx.params
    c = ctx.economy
    mechanism = p.protocol.fee_mechanism
    eligible = c.bids[None, :] >= base_fee[:, None]
    included, by_bucket = demand.select_by_bucket(pending, eligible, c.capacity_txs)
    paid, burned, tips = fees.block_fees(by_bucket, c.bids, p.environment.demand.tx_size, base_fee, mechanism)
    d = p.environment.demand
    txs = by_bucket.sum(axis=1)
    mev = d.mev_per_public_tx * d.public_share * txs * mev_draw
    return Candidate(
        included=included,
        base_fee=base_fee,
        paid=paid,
        burned=burned,
        tips=tips,
        mev=mev,
        mev_burned=fees.mev_burned(mev, mechanism, p.protocol.mev_burn_share),
        used=txs * d.tx_size,
        txs=txs,
    )


def _arrive(ctx: Context, slot: int, pending: I64, shock_left: I64) -> tuple[I64, I64, F64]:
    """Age the mempool by one slot (dropping the oldest age) and add `slot`'s arrivals at age 0."""
    counts, left, _, mev_draw = demand.arrivals(ctx.params, ctx.keys, slot, shock_left, ctx.economy.pieces)
    aged = np.empty_like(pending)
    aged[:, :, 1:] = pending[:, :, :-1]
    aged[:, :, 0] = counts
    return aged, left, mev_draw


def genesis_economy(ctx: Context) -> Economy:
    p = ctx.params
    d = p.environment.demand
    runs = ctx.n_runs
    zeros = np.zeros(runs, dtype=np.int64)
    empty = np.zeros((runs, d.bid_buckets, d.expiry_slots), dtype=np.int64)
    pending, left, mev_draw = _arrive(ctx, 0, empty, zeros)  # the oldest age of an empty mempool is dropped
    base_fee = np.full(
        runs, p.protocol.base_fee.initial if p.protocol.fee_mechanism == "base_fee_burn" else 0.0
    )
    return Economy(
        pending=pending,
        pending_total=pending[:, :, 0].sum(axis=1),
        base_fee=base_fee,
        prices=_prices(ctx, 0, None),
        shock_left=left,
        candidate=prepare(ctx, pending, base_fee, mev_draw),
        settled=None,
        sequencer_profit=np.zeros(runs),
        stake_slots=np.zeros(runs),
    )


def step_next_slot_market(ctx: Context, s: State) -> dict[str, Any]:
    """Age the mempool by one slot and add the next slot's arrivals; the next slot's L1 prices; its candidate block
    under the base fee the settlement left."""
    econ = s["economy"]
    slot = s["slot"]
    aged, left, mev_draw = _arrive(ctx, slot + 1, econ.pending, econ.shock_left)
    arrived = aged[:, :, 0].sum(axis=1)
    return {
        "economy": replace(
            econ,
            pending=aged,
            pending_total=econ.pending_total + arrived,
            prices=_prices(ctx, slot + 1, econ.prices),
            shock_left=left,
            candidate=prepare(ctx, aged, econ.base_fee, mev_draw),
        )
    }
