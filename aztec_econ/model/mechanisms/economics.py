"""The slot's economics: the block's transactions and fees, MEV, L1 costs, the prover's price; then the mempool,
base fee and L1 prices of the next slot.

One state variable (`economy`), settled at the end of the slot inside the backup block (`p_backup_and_economics`;
each extra cadCAD block costs ~20 us per slot).
The candidate block (which pending transactions it takes, what they pay) is prepared at the end of the previous slot
(at genesis for slot 0): the selection does not depend on who wins the election (every sequencer orders by bid), and
the prover market needs the block's value and size at commitment time.

Settlement (source: spec Economics, Block production 5, Backup mode; amounts are assumptions):
- a block is produced when the slot ends happy or in backup mode; the backup builder's block carries the same
  transactions (the best block from the same mempool). A skipped slot includes nothing: its transactions wait.
- users pay from the market account; the producer (the sequencers' account, or the backup builders') receives the
  tips and the MEV it keeps; burns leave the supply (`Flow.BURN`). If the market cannot pay, every fee quantity of
  the block scales down in proportion (never happens with the baseline supply).
- the committed third-party prover is paid its agreed price by the sequencers on the happy path (a transfer).
- L1 costs are paid in ETH outside the token ledger; columns report their token equivalents
  (`environment.l1.eth_per_token`): the proposals (every landed proposal pays), the prover commitment (the prover,
  which posts the bond), the reveal (execution gas plus blobs, the sequencer), the proof verification (its
  submitter), the backup submission (the backup builder, plus blobs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms import demand, fees, prover_market
from aztec_econ.model.mechanisms.backup import p_backup
from aztec_econ.model.mechanisms.l1_prices import L1Prices, l1_step, read_price_file
from aztec_econ.model.outcome import SlotOutcome
from aztec_econ.model.stage import Mode, Stage, Submitter

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
TX_BASE_GAS = 21_000  # the per-transaction gas a consolidated proposal+commitment saves


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


@dataclass(frozen=True)
class EconomyConstants:
    """What the economics derive once from the parameters (kept in the context's cache)."""

    bids: F64
    capacity_txs: int
    pieces: int
    table: F64 | None
    costs: F64


def constants(ctx: Context) -> EconomyConstants:
    p = ctx.params
    cached = _CACHE.get(id(ctx))
    if cached is not None and cached[0] is ctx:
        return cached[1]
    table = read_price_file(p.environment.l1.price_file) if p.environment.l1.price_file else None
    value = EconomyConstants(
        bids=demand.bid_levels(p),
        capacity_txs=demand.capacity_in_txs(p),
        pieces=demand.poisson_pieces(p),
        table=table,
        costs=prover_market.prover_costs(p),
    )
    _CACHE.clear()
    _CACHE[id(ctx)] = (ctx, value)
    return value


_CACHE: dict[int, tuple[Context, EconomyConstants]] = {}


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
        constants(ctx).table,
    )


def prepare(ctx: Context, pending: I64, base_fee: F64, mev_draw: F64) -> Candidate:
    """The candidate block from the mempool under the slot's base fee."""
    p = ctx.params
    c = constants(ctx)
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
    counts, left, _, mev_draw = demand.arrivals(ctx.params, ctx.keys, slot, shock_left, constants(ctx).pieces)
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


def blobs(ctx: Context, used: F64) -> F64:
    """Blobs a block of `used` mana needs (at least one)."""
    g = ctx.params.protocol.l1_gas
    if g.blobs_per_full_block == 0:
        return np.zeros_like(used)
    return np.maximum(1.0, np.ceil(g.blobs_per_full_block * used / ctx.params.protocol.block_capacity))


def l1_costs(
    ctx: Context, out: SlotOutcome, prices: L1Prices, used: F64, revealed: NDArray[np.bool_]
) -> dict[str, F64]:
    """Token equivalents of the slot's L1 costs by who pays them."""
    p = ctx.params
    g = p.protocol.l1_gas
    consolidated = p.protocol.variants.consolidate_proposal_commitment
    per_gas = prices.gas * (prover_market.GWEI / p.environment.l1.eth_per_token)  # tokens per gas
    per_proposal = g.proposal + (max(0.0, g.commitment - TX_BASE_GAS) if consolidated else 0.0)
    blob_cost = (
        blobs(ctx, used)
        * prices.blob
        * (prover_market.BLOB_GAS * prover_market.GWEI / p.environment.l1.eth_per_token)
    )
    commitment = 0.0 if consolidated else np.where(out.stage >= Stage.COMMITTED, g.commitment, 0.0)
    by_prover = (out.submitter == Submitter.PROVER) | (out.submitter == Submitter.SEQUENCER)
    prover_side = (commitment + np.where(by_prover, g.verification, 0.0)) * per_gas
    sequencer = (per_proposal * out.proposals + np.where(revealed, g.reveal, 0.0)) * per_gas
    sequencer += np.where(revealed, blob_cost, 0.0)
    backup = np.where(out.mode == Mode.BACKUP, g.backup * per_gas + blob_cost, 0.0)
    return {
        "l1_cost_sequencer": sequencer + np.where(out.self_proved, prover_side, 0.0),
        "l1_cost_prover": np.where(out.prover >= 0, prover_side, 0.0),
        "l1_cost_relay": np.where(out.submitter == Submitter.RELAY, g.verification * per_gas, 0.0),
        "l1_cost_backup": backup,
    }


def p_backup_and_economics(
    params: dict[str, Any], substep: int, history: Any, s: dict[str, Any]
) -> dict[str, Any]:
    """Backup mode (`backup.p_backup`), then the slot's economics (`p_economics`): one cadCAD block for both (a
    block costs ~20 us per slot, and the economics need the slot's final mode)."""
    signal = p_backup(params, substep, history, s)
    settled = p_economics(params, substep, history, {**s, **signal})
    return {**signal, **settled}


def p_economics(params: dict[str, Any], substep: int, history: Any, s: dict[str, Any]) -> dict[str, Any]:
    """Settle the slot's block, then prepare the next slot's mempool, prices and candidate block."""
    ctx: Context = params["ctx"]
    p = ctx.params
    econ: Economy = s["economy"]
    out: SlotOutcome = s["outcome"]
    book: Book = s["book"]
    cand = econ.candidate
    c = constants(ctx)
    produced = out.mode != Mode.SKIPPED
    happy = out.mode == Mode.HAPPY
    if produced.all():
        included, txs, used = cand.included, cand.txs, cand.used
        paid, burned, tips, mev, mev_burned = cand.paid, cand.burned, cand.tips, cand.mev, cand.mev_burned
    else:
        included = cand.included * produced[:, None, None]
        txs, used = np.where(produced, cand.txs, 0), np.where(produced, cand.used, 0.0)
        paid, burned, tips, mev, mev_burned = (
            np.where(produced, x, 0.0) for x in (cand.paid, cand.burned, cand.tips, cand.mev, cand.mev_burned)
        )
    owed = paid + mev
    market = book.balance(int(Account.MARKET))
    if (owed > market).any():  # users cannot pay: every fee quantity scales down
        scale = np.where(owed > market, market / np.where(owed > 0, owed, 1.0), 1.0)
        paid, burned, tips, mev, mev_burned = (x * scale for x in (paid, burned, tips, mev, mev_burned))
    producer = np.where(happy, int(Account.SEQUENCERS), int(Account.BACKUP))
    kept = tips + mev - mev_burned
    third_party = out.prover >= 0
    paid_to = np.where(third_party, Account.PROVER0 + out.prover, int(Account.SEQUENCERS))
    price = np.where(happy & third_party, out.prover_price, 0.0)
    price = np.minimum(price, book.balance(int(Account.SEQUENCERS)) + np.where(happy, kept, 0.0))
    book = book.post(
        Posting(Flow.TRANSFER, Account.MARKET, producer, kept),
        Posting(Flow.BURN, Account.MARKET, None, burned + mev_burned),
        Posting(Flow.TRANSFER, Account.SEQUENCERS, paid_to, price),
    )

    revealed = out.revealed
    costs = l1_costs(
        ctx, out, econ.prices, np.where(revealed | (out.mode == Mode.BACKUP), cand.used, 0.0), revealed
    )
    proved = out.stage >= Stage.REVEALED
    third = c.costs[np.maximum(out.prover, 0)] if c.costs.size else np.zeros(out.prover.shape)
    own = p.agents.sequencers.proving_cost_per_block
    proving_cost = np.where(
        proved, np.where(out.self_proved, own, 0.0) + np.where(third_party, third, 0.0), 0.0
    )

    bf = p.protocol.base_fee
    base_fee = econ.base_fee
    if p.protocol.fee_mechanism == "base_fee_burn":
        updated = fees.next_base_fee(
            base_fee, used, p.protocol.block_capacity, bf.target_utilisation, bf.max_change
        )
        base_fee = np.where(produced, updated, base_fee)
    pending = econ.pending - included
    expired = pending[:, :, -1].sum(axis=1)
    waiting = econ.pending_total - txs - expired
    slot = s["slot"]
    aged, left, mev_draw = _arrive(ctx, slot + 1, pending, econ.shock_left)
    arrived = aged[:, :, 0].sum(axis=1)
    columns: dict[str, NDArray[Any]] = {
        "base_fee": cand.base_fee,
        "fees_paid": paid,
        "fees_burned": burned,
        "tips": tips,
        "mev": mev,
        "mev_burned": mev_burned,
        "l1_gas_price": econ.prices.gas,
        "blob_price": econ.prices.blob,
        "l1_cost": costs["l1_cost_sequencer"]
        + costs["l1_cost_prover"]
        + costs["l1_cost_relay"]
        + costs["l1_cost_backup"],
        **costs,
        "proving_cost": proving_cost,
        "prover_price": price,
        "txs_included": txs,
        "txs_pending": waiting,
        "txs_expired": expired,
        "txs_arrived": arrived,
        "capacity_used": used,
    }
    settled = Settled(columns=columns, included_by_age=included.sum(axis=1))
    prices = _prices(ctx, slot + 1, econ.prices)
    profit, stake_slots = econ.sequencer_profit, econ.stake_slots
    if p.agents.sequencers.profit_driven_entry_exit:  # the running APR the registry reads
        profit, stake_slots = _sequencer_profit(ctx, s, kept, price, proving_cost, costs["l1_cost_sequencer"])
        profit, stake_slots = profit + econ.sequencer_profit, stake_slots + econ.stake_slots
    economy = Economy(
        sequencer_profit=profit,
        stake_slots=stake_slots,
        pending=aged,
        pending_total=waiting + arrived,
        base_fee=base_fee,
        prices=prices,
        shock_left=left,
        candidate=prepare(ctx, aged, base_fee, mev_draw),
        settled=settled,
    )
    return {"economy": economy, "book": book}


def _sequencer_profit(
    ctx: Context, s: dict[str, Any], kept: F64, price: F64, proving_cost: F64, l1_cost: F64
) -> tuple[F64, F64]:
    """The sequencers' profit in the slot (as `metrics.agent_table` counts it) and their eligible keys."""
    p = ctx.params
    out: SlotOutcome = s["outcome"]
    active = s["sequencers"].active.astype(np.float64)
    happy = out.mode == Mode.HAPPY
    revenue = (
        out.rewards[:, 0]
        + np.where(happy, kept, 0.0)
        + np.where(out.self_proved, out.rewards[:, 1], 0.0)
        + np.where(out.submitter == Submitter.SEQUENCER, out.rewards[:, 2], 0.0)
    )
    slashed = s["book"].flows[:, Flow.SLASH]
    cost = l1_cost + price + np.where(out.self_proved, proving_cost + slashed, 0.0)
    per_key = (
        p.agents.sequencers.operating_cost_per_day / p.protocol.slots_per_day / p.environment.l1.eth_per_token
    )
    return revenue - cost - active * per_key, active
