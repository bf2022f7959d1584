"""The market of the coming slot: the mempool ages and takes the slot's arrivals, L1 prices move, and the candidate
block is prepared.

The candidate block (which pending transactions it takes, what they pay) is prepared at the end of the previous slot
(at genesis for slot 0): the selection does not depend on who wins the election (every sequencer orders by bid), and
the prover market needs the block's value and size at commitment time. The economy's state (`Economy`) also carries
what `settlement` did in the slot. Sources: spec Economics; demand, prices and amounts are assumptions (see
`demand`, `l1_prices`, `fees`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels, kernels_economy
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.mechanisms import demand, fees
from aztec_econ.model.mechanisms.l1_prices import L1Prices, l1_step, token_price
from aztec_econ.model.mechanisms.prover_market import SlotTerms, block_value, slot_terms
from aztec_econ.model.mechanisms.proving import commitment_outlook, median_seconds

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Mempool = NDArray[np.int32]
"""Transactions per run, bid bucket and age (slots waited): int32, as counts stay far below 2**31, halving the
memory the mempool's compiled passes stream through (measured: 177 -> 121 us a slot for 100 runs)."""


@dataclass(frozen=True)
class Candidate:
    """The block the slot's producer will publish, per run (prepared before the slot)."""

    selection: demand.Selection
    """Transactions it takes of the mempool (`Economy.pending` when it was prepared)."""
    by_bucket: I64
    """Transactions it takes per bucket (runs x buckets)."""
    by_age: I64
    """Transactions it takes per age (runs x ages)."""
    base_fee: F64
    """Base fee it faces (tokens/mana; 0 unless base_fee_burn or cost_based)."""
    pricing: fees.Pricing
    """What a transaction of each bid bucket pays and burns per mana in it (`fees.pricing`)."""
    paid: F64
    burned: F64
    tips: F64
    mev: F64
    mev_burned: F64
    used: F64
    """Capacity used (mana)."""
    txs: I64
    """Transactions it takes."""
    mev_draw: F64
    """The slot's MEV draw (Exp(1)): MEV per public transaction of this block, late inclusions too."""
    surplus: F64
    """Users' surplus of its transactions: value - payment (tokens)."""
    proving_median: F64
    """Its median proving time (`proving.median_seconds`; s): the proving time's distribution is known at the
    commitment, and its draw comes at the proving (`proving.step_proving`)."""
    proving: tuple[F64, F64]
    """What a prover committing to it expects (`proving.commitment_outlook`: on-time chance, reward factor)."""
    value_to_producer: F64
    """Fees and MEV the producer keeps: tips + mev - mev_burned (tokens)."""
    block_value: F64
    """What finalizing it is worth to its sequencer (`prover_market.block_value` of `value_to_producer`; tokens)."""
    prover_terms: SlotTerms
    """What every prover market option of the slot is priced on (`prover_market.slot_terms` at the slot's prices
    and `proving`)."""


@dataclass(frozen=True)
class Incoming:
    """Transactions submitted during the slot, by bid bucket (runs x buckets): the next slot's arrivals, less those
    a late reveal took into this slot's block (`late_inclusions`)."""

    counts: I64
    shock_left: I64
    """Slots the demand shock lasts after the next slot's arrivals."""
    mev_draw: F64
    """The next slot's MEV draw."""


@dataclass(frozen=True)
class Late:
    """Transactions a late reveal adds to the slot's block, and what they pay, per run."""

    by_bucket: I64
    paid: F64
    burned: F64
    tips: F64
    mev: F64
    mev_burned: F64
    txs: I64
    surplus: F64


AMOUNT_ROWS = ("fees_paid", "fees_burned", "tips", "mev", "mev_burned", "user_surplus", "capacity_used")
"""The settlement's columns in the first rows of the block's amounts (`Settled.amounts`), in order."""

L1_COST_ROWS = ("l1_cost", "l1_cost_sequencer", "l1_cost_prover", "l1_cost_relay", "l1_cost_backup")
"""The settlement's columns in the rows of the slot's L1 costs (`Settled.l1_costs`), in order."""

ROW_COLUMNS: dict[str, tuple[str, int]] = {
    **{name: ("amounts", row) for row, name in enumerate(AMOUNT_ROWS)},
    **{name: ("l1_costs", row) for row, name in enumerate(L1_COST_ROWS)},
}
"""The settlement's columns kept as rows of a `Settled` array: name -> (the array's field, its row)."""


@dataclass(frozen=True)
class Settled:
    """What the slot's settlement did (per run): the economics output columns (`column`)."""

    columns: dict[str, NDArray[Any]]
    """Its per-run columns but those in the rows of `amounts` and `l1_costs` (`settlement.record` stacks those
    arrays once a segment instead of row by row)."""
    amounts: NDArray[np.float64]
    """The block's amounts (rows x runs: the columns `AMOUNT_ROWS` first; `kernels_economy.block_amounts`)."""
    l1_costs: NDArray[np.float64]
    """The slot's L1 costs (rows x runs: the columns `L1_COST_ROWS`)."""
    included_by_age: I64
    """Transactions included by slots waited (runs x ages): confirmation times."""
    pending: Mempool
    """The mempool the block took its transactions from (runs x buckets x ages)."""
    selection: demand.Selection
    """The candidate block's transactions (`Candidate.selection`) of `pending`."""
    produced: NDArray[np.bool_]
    """Whether the slot's block was produced (per run)."""
    late: I64
    """Transactions a late reveal added (`Late.by_bucket`, runs x buckets)."""
    expired: I64
    """Transactions of the mempool's oldest age the block left behind (runs x buckets): they expire when the next
    slot's market ages the mempool."""

    def column(self, name: str) -> NDArray[Any]:
        """The settlement's column `name` (`settlement.COLUMNS`) of this slot, per run."""
        if name in ROW_COLUMNS:
            field, row = ROW_COLUMNS[name]
            rows: NDArray[Any] = getattr(self, field)
            return rows[row]
        return self.columns[name]

    def add_by_value(self, total: I64) -> None:
        """Add the slot's transactions by bid bucket (runs x buckets x (ages + 1)) to `total`, in place: included by
        slots waited (the late ones at age 0), then expired; from arrays the state holds anyway (compiled:
        `kernels_economy.demand_by_value`)."""
        kernels_economy.demand_by_value(
            total, self.pending, self.selection.arrays(), self.produced, self.late, self.expired
        )


@dataclass(frozen=True)
class Economy:
    """Mempool, base fee, L1 prices and the prepared candidate block, per run."""

    pending: Mempool
    """Pending transactions (runs x buckets x ages), arrivals of the coming slot included; once the slot is settled,
    still with the settled block's (`settled`): the next slot's market removes them as it ages the mempool."""
    pending_total: I64
    """Their number per run (once the slot is settled: those still waiting, without the block's and the expired)."""
    base_fee: F64
    """Base fee the coming block faces (tokens/mana)."""
    clearing: F64
    """Users' memory of clearing prices: the lowest payment per mana that got into full blocks (tokens/mana)."""
    excess: F64
    """Excess mana of the cost-based congestion multiplier."""
    oracle: F64
    """The L1 gas and blob prices of the last `oracle_lag_slots` slots, oldest first (runs x lag x 2)."""
    prices: L1Prices
    shock_left: I64
    """Slots the current demand shock still lasts."""
    candidate: Candidate
    incoming: Incoming | None
    """This slot's submissions, once drawn (`step_arrivals`)."""
    settled: Settled | None
    sequencer_profit: F64
    """Sequencers' profit, exponentially weighted with half-life `agents.sequencers.apr_window_days` (tokens;
    revenue minus costs as in `metrics.agent_table`)."""
    stake_slots: F64
    """Eligible keys summed over slots with the same weights (key-slots): the capital-time of the APR."""
    apr_slots: F64
    """The weights themselves summed over slots (slots, weighted): the window's effective length."""

    def sequencer_apr(self, ctx: Context) -> F64:
        """Sequencers' trailing APR: the weighted profit over (minimum stake x weighted key-slots) per year;
        `environment.reservation_yield` before the first slot."""
        p = ctx.params
        capital_years = p.protocol.minimum_stake * self.stake_slots / (365.0 * p.protocol.slots_per_day)
        with np.errstate(divide="ignore", invalid="ignore"):
            apr = self.sequencer_profit / capital_years
        return np.where(capital_years > 0, apr, p.environment.reservation_yield)

    def apr_at(self, ctx: Context, keys: F64) -> F64:
        """The APR each of `keys` eligible keys would earn with the trailing window's profit pool: the window's mean
        profit per slot of all keys before their running cost per key (`operators.hardware_cost_per_key_per_day` at
        the slot's token price) is shared among `keys`, each then pays that cost (assumption: the pool, rewards and
        fees per slot, does not depend on the key count: one ticket per key). With `keys` the window's mean count it
        is `sequencer_apr`; `environment.reservation_yield` before the first slot."""
        p = ctx.params
        per_key = (
            p.agents.operators.hardware_cost_per_key_per_day
            / p.protocol.slots_per_day
            / self.prices.eth_per_token
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            pool = (self.sequencer_profit + per_key * self.stake_slots) / self.apr_slots
            apr = (pool / keys - per_key) * 365.0 * p.protocol.slots_per_day / p.protocol.minimum_stake
        ok = (self.apr_slots > 0) & (keys > 0)
        return np.where(ok, apr, p.environment.reservation_yield)


def apr_decay(ctx: Context) -> float:
    """Weight a slot's profit loses per slot in the trailing APR: 0.5 ** (1 / (apr_window_days x slots per day))."""
    p = ctx.params
    return float(0.5 ** (1.0 / (p.agents.sequencers.apr_window_days * p.protocol.slots_per_day)))


def _prices(ctx: Context, slot: int, previous: L1Prices | None) -> L1Prices:
    l1 = ctx.params.environment.l1
    t = ctx.params.environment.token
    token = token_price(
        ctx.keys,
        slot,
        None if previous is None else previous.eth_per_token,
        t.process,
        t.eth_per_token,
        t.drift_per_year,
        t.volatility_per_year,
        ctx.per_slot.slot_seconds,
    )
    return l1_step(
        ctx.keys,
        slot,
        previous,
        l1.process,
        l1.gas_price,
        l1.blob_price,
        ctx.per_slot.l1_volatility,
        ctx.per_slot.l1_reversion,
        ctx.per_slot.l1_shock_probability,
        l1.shock_multiplier,
        ctx.per_slot.l1_shock_slots,
        ctx.economy.table,
        token,
    )


def slot_pricing(ctx: Context, base_fee: F64, clearing: F64, excess: F64) -> fees.Pricing:
    """What each bid bucket pays and burns per mana in the coming block (`fees.pricing`)."""
    p = ctx.params
    u = p.agents.users
    cb = p.protocol.cost_based
    multiplier = congestion_multiplier(ctx, excess) if p.protocol.fee_mechanism == "cost_based" else None
    return fees.pricing(
        p.protocol.fee_mechanism,
        ctx.economy.bids,
        base_fee,
        clearing,
        p.protocol.base_fee.priority_fee,
        u.bid_margin,
        u.min_bid,
        multiplier,
        cb.burn_congestion,
    )


def congestion_multiplier(ctx: Context, excess: F64) -> F64:
    """The cost-based fee's congestion multiplier exp(excess / update_fraction), 1 with congestion off."""
    cb = ctx.params.protocol.cost_based
    if not cb.congestion:
        return np.ones(excess.shape)
    return np.exp(excess / cb.update_fraction)


def cost_based_fee(ctx: Context, oracle: F64, excess: F64, eth_per_token: F64) -> F64:
    """The cost-based base fee (tokens/mana) at the oracle's oldest prices (`fees.cost_per_mana`) times the
    congestion multiplier."""
    p = ctx.params
    g = p.protocol.l1_gas
    gas = g.proposal + g.commitment + g.reveal + g.verification
    cost = fees.cost_per_mana(
        gas,
        g.blobs_per_full_block,
        p.protocol.block_capacity,
        p.protocol.cost_based.proving_cost_per_mana,
        eth_per_token,
        oracle[:, 0, 0],
        oracle[:, 0, 1],
    )
    return cost * congestion_multiplier(ctx, excess)


def prepare(
    ctx: Context, pending: Mempool, base_fee: F64, mev_draw: F64, clearing: F64, excess: F64, prices: L1Prices
) -> Candidate:
    """The candidate block from the mempool under the slot's prices (`prices`: its L1 and token prices):
    includable transactions in order of payment per mana (the highest values first) while they fit; its MEV, capacity
    used and what its producer keeps compiled (`kernels_economy.candidate_amounts`)."""
    p = ctx.params
    c = ctx.economy
    mechanism = p.protocol.fee_mechanism
    price = slot_pricing(ctx, base_fee, clearing, excess)
    selection, by_bucket, by_age = demand.select_by_bucket(pending, price.includable, c.capacity_txs)
    d = p.environment.demand
    paid, burned, tips, surplus, txs = fees.block_totals(by_bucket, price.pay, price.burn, c.bids, d.tx_size)
    mev, used, mev_burned, kept = kernels_economy.candidate_amounts(
        txs,
        mev_draw,
        tips,
        d.mev_per_public_tx * d.public_share,
        float(d.tx_size),
        mechanism == "mev_burn",
        float(p.protocol.mev_burn_share),
    )
    median = median_seconds(p, used)
    proving = commitment_outlook(ctx, median)
    return Candidate(
        selection=selection,
        by_bucket=by_bucket,
        by_age=by_age,
        base_fee=base_fee,
        paid=paid,
        burned=burned,
        tips=tips,
        mev=mev,
        mev_burned=mev_burned,
        used=used,
        txs=txs,
        mev_draw=mev_draw,
        pricing=price,
        surplus=surplus,
        proving_median=median,
        proving=proving,
        value_to_producer=kept,
        block_value=block_value(p, kept),
        prover_terms=slot_terms(p, prices.gas, c.market, *proving, prices.eth_per_token),
    )


def _arrive(ctx: Context, slot: int, pending: Mempool, shock_left: I64) -> tuple[Mempool, I64, F64]:
    """Age an empty mempool by one slot and add `slot`'s arrivals at age 0 (genesis)."""
    counts, left, mev_draw = demand.arrivals(
        ctx.params, ctx.per_slot, ctx.keys, slot, shock_left, ctx.economy.pieces
    )
    return _aged(pending, counts, None)[0], left, mev_draw


def _aged(pending: Mempool, counts: I64, settled: Settled | None) -> tuple[Mempool, I64]:
    """The mempool one slot older, without the `settled` block's transactions (None: none, at genesis) and its
    oldest age dropped (expired), with `counts` at age 0; and `counts` per run (compiled:
    `kernels_economy.age_mempool`)."""
    runs, buckets = counts.shape
    if settled is None:
        selection, produced = demand.Selection.nothing(runs, buckets), np.zeros(runs, dtype=np.bool_)
    else:
        selection, produced = settled.selection, settled.produced
    return kernels_economy.age_mempool(
        np.ascontiguousarray(pending, dtype=np.int32),
        np.ascontiguousarray(counts, dtype=np.int64),
        selection.arrays(),
        produced,
    )


def expected_late_value(ctx: Context, econ: Economy, seconds: F64) -> F64:
    """What a reveal at each of `seconds` into the slot expects to add from transactions submitted by then (runs x
    len(seconds)): the current arrival rate (its shock included, the trend ignored) spread evenly over the bid
    buckets, up to the block's spare capacity, the most valuable first: what the producer keeps of one more
    transaction of the bucket (its payment less what is burned, and the MEV it keeps at the mean MEV draw; 0 where
    it is not includable). Compiled (`kernels.late_value`)."""
    ps = ctx.per_slot
    d = ctx.params.environment.demand
    cand = econ.candidate
    price = cand.pricing
    return kernels.late_value(
        ps.tx_rate / ps.slot_seconds,
        float(d.shock_multiplier),
        econ.shock_left,
        np.ascontiguousarray(seconds, dtype=np.float64),
        int(ctx.economy.capacity_txs),
        cand.txs,
        price.pay,
        price.burn,
        price.includable,
        float(d.tx_size),
        float(ctx.economy.kept_mev_per_tx),
    )


def late_inclusions(ctx: Context, econ: Economy, share: F64) -> Late:
    """The transactions a reveal `share` of the way through the slot adds: that share (rounded down) of each bid
    bucket's submissions during the slot, if includable at the block's prices, highest values first, up to the
    block's spare capacity; what they pay under the fee mechanism (the same block-building rule as `prepare`)."""
    p = ctx.params
    d = p.environment.demand
    assert econ.incoming is not None
    cand = econ.candidate
    price = cand.pricing
    by_bucket, paid, burned, tips, mev, mev_burned, surplus, txs = kernels.late_block(  # compiled
        econ.incoming.counts,
        share,
        int(ctx.economy.capacity_txs),
        cand.txs,
        price.pay,
        price.burn,
        price.includable,
        ctx.economy.bids,
        float(d.tx_size),
        d.mev_per_public_tx * d.public_share,
        cand.mev_draw,
        p.protocol.fee_mechanism == "mev_burn",
        float(p.protocol.mev_burn_share),
    )
    return Late(
        by_bucket=by_bucket,
        paid=paid,
        burned=burned,
        tips=tips,
        mev=mev,
        mev_burned=mev_burned,
        txs=txs,
        surplus=surplus,
    )


def step_arrivals(ctx: Context, s: State) -> dict[str, Any]:
    """The transactions submitted during the slot (they enter the next slot's mempool unless a late reveal takes
    them): drawn before the settlement so a late reveal can include some."""
    econ = s["economy"]
    counts, left, mev_draw = demand.arrivals(
        ctx.params, ctx.per_slot, ctx.keys, s["slot"] + 1, econ.shock_left, ctx.economy.pieces
    )
    return {"economy": evolve(econ, incoming=Incoming(counts, left, mev_draw))}


def genesis_economy(ctx: Context) -> Economy:
    p = ctx.params
    d = p.environment.demand
    runs = ctx.n_runs
    zeros = np.zeros(runs, dtype=np.int64)
    empty = np.zeros((runs, d.bid_buckets, ctx.per_slot.expiry_slots), dtype=np.int32)
    pending, left, mev_draw = _arrive(ctx, 0, empty, zeros)  # the oldest age of an empty mempool is dropped
    prices = _prices(ctx, 0, None)
    lag = p.protocol.cost_based.oracle_lag_slots
    oracle = np.repeat(np.stack([prices.gas, prices.blob], axis=1)[:, None, :], lag, axis=1)
    excess = np.zeros(runs)
    if p.protocol.fee_mechanism == "base_fee_burn":
        base_fee = np.full(runs, p.protocol.base_fee.initial)
    elif p.protocol.fee_mechanism == "cost_based":
        base_fee = cost_based_fee(ctx, oracle, excess, prices.eth_per_token)
    else:
        base_fee = np.zeros(runs)
    clearing = np.zeros(runs)
    return Economy(
        pending=pending,
        pending_total=pending[:, :, 0].sum(axis=1),
        base_fee=base_fee,
        clearing=clearing,
        excess=excess,
        oracle=oracle,
        prices=prices,
        shock_left=left,
        candidate=prepare(ctx, pending, base_fee, mev_draw, clearing, excess, prices),
        incoming=None,
        settled=None,
        sequencer_profit=np.zeros(runs),
        stake_slots=np.zeros(runs),
        apr_slots=np.zeros(runs),
    )


def step_next_slot_market(ctx: Context, s: State) -> dict[str, Any]:
    """Remove the settled block's transactions from the mempool, age it by one slot and add what was submitted during
    the slot and not yet included; the next slot's L1 prices; the oracle's prices and the cost-based base fee; the
    next candidate block at the prices the settlement left."""
    econ = s["economy"]
    incoming = econ.incoming
    assert incoming is not None
    aged, arrived = _aged(econ.pending, incoming.counts, econ.settled)
    prices = _prices(ctx, s["slot"] + 1, econ.prices)
    oracle = np.empty_like(econ.oracle)  # one slot later: the fee reads the oldest, `lag` slots back
    oracle[:, :-1] = econ.oracle[:, 1:]
    oracle[:, -1, 0] = econ.prices.gas
    oracle[:, -1, 1] = econ.prices.blob
    base_fee = econ.base_fee
    if ctx.params.protocol.fee_mechanism == "cost_based":
        base_fee = cost_based_fee(ctx, oracle, econ.excess, prices.eth_per_token)
    return {
        "economy": evolve(
            econ,
            pending=aged,
            pending_total=econ.pending_total + arrived,
            prices=prices,
            oracle=oracle,
            base_fee=base_fee,
            shock_left=incoming.shock_left,
            candidate=prepare(ctx, aged, base_fee, incoming.mev_draw, econ.clearing, econ.excess, prices),
            incoming=None,
        )
    }
