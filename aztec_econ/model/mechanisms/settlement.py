"""Settlement of the slot's block: fees, burns, MEV, the prover's price, L1 and proving costs, the next base fee.

Sources: spec Economics, Block production 5, Backup mode; amounts are assumptions.
- a block is produced when the slot ends happy or in backup mode; the backup builder's block carries the same
  transactions (the best block from the same mempool). A skipped slot includes nothing: its transactions wait.
- users pay from the market account; the producer (the sequencers' account, or the backup builders') receives the
  tips and the MEV it keeps; burns leave the supply (`Flow.BURN`). If the market cannot pay, every fee quantity of
  the block scales down in proportion (never happens with the baseline supply).
- the committed third-party prover is paid its agreed price (`prover_market`'s auction) by the sequencers on the
  happy path (a transfer); a negative price is a transfer from the prover to the sequencers. Each is capped by what
  the payer holds after the block's rewards and fees (never binds with the baseline balances).
- L1 costs are paid in ETH outside the token ledger; columns report their token equivalents at the slot's token
  price (`environment.token`, column `eth_per_token`): the proposals (every landed proposal pays), the prover commitment (the prover,
  which posts the bond), the reveal (execution gas plus blobs, the sequencer), the proof verification (its
  submitter), the backup submission (the backup builder, plus blobs).
- under `base_fee_burn` the EIP-1559 base fee moves with the produced block's size (`fees.next_base_fee`).
- with profit-driven entry, the sequencers' profit and key-slots (the APR the registry reads) accumulate with
  exponential weights of half-life `agents.sequencers.apr_window_days` (a trailing APR).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_economy
from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Flow, Posting
from aztec_econ.model.mechanisms import fees, prover_market
from aztec_econ.model.mechanisms.l1_prices import L1Prices
from aztec_econ.model.mechanisms.market import (
    AMOUNT_ROWS,
    L1_COST_ROWS,
    ROW_COLUMNS,
    Candidate,
    Settled,
    apr_decay,
    late_inclusions,
)
from aztec_econ.model.outcome import SlotOutcome
from aztec_econ.model.stage import Mode, Role, Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
TX_BASE_GAS = 21_000  # the per-transaction gas a consolidated proposal+commitment saves


def l1_costs(ctx: Context, out: SlotOutcome, prices: L1Prices, used: F64, revealed: NDArray[np.bool_]) -> F64:
    """Token equivalents of the slot's L1 costs (5 x runs: the columns `L1_COST_ROWS`), all and by who pays them;
    compiled (`kernels_economy.l1_cost_split`)."""
    p = ctx.params
    g = p.protocol.l1_gas
    consolidated = p.protocol.variants.consolidate_proposal_commitment
    per_proposal = g.proposal + (max(0.0, g.commitment - TX_BASE_GAS) if consolidated else 0.0)
    commitment = 0.0 if consolidated else g.commitment
    gas = np.array([per_proposal, commitment, g.reveal, g.verification, g.backup], dtype=np.float64)
    split = kernels_economy.l1_cost_split(
        prices.gas,
        prices.blob,
        prices.eth_per_token,
        used,
        out.stage,
        out.submitter,
        out.mode,
        out.prover,
        out.proposals,
        out.self_proved,
        revealed,
        gas,
        float(g.blobs_per_full_block),
        float(p.protocol.block_capacity),
        prover_market.GWEI,
        prover_market.BLOB_GAS * prover_market.GWEI,
    )
    return split


def step_settlement(ctx: Context, s: State) -> dict[str, Any]:
    """Settle the slot's block (see the module docstring); the base fee the next slot faces."""
    p = ctx.params
    econ = s["economy"]
    out = s["outcome"]
    book = s["book"]
    cand = econ.candidate
    c = ctx.economy
    produced = out.mode != int(Mode.SKIPPED)
    happy = out.mode == int(Mode.HAPPY)
    # a happy block revealed late also takes some of the transactions submitted during the slot (see `reveal`)
    arrived = econ.incoming
    assert arrived is not None
    incoming = arrived
    share = kernels_economy.reveal_share(
        s["l1"].seconds, happy, out.revealed, out.reveal_block, ctx.per_slot.slot_seconds
    )
    late = late_inclusions(ctx, econ, share)
    # compiled: a skipped slot includes nothing, late inclusions add to the block, users who cannot pay scale
    # every fee quantity down; who produced the block and the agreed price, on the happy path only: sequencers ->
    # prover, or prover -> sequencers when negative, each capped by what the payer holds (its reward and the
    # fees it keeps included)
    amounts, txs, any_late, by_age, producer, paid_to, price = kernels_economy.block_amounts(
        out.mode,
        _CODES,
        (cand.paid, cand.burned, cand.tips, cand.mev, cand.mev_burned, cand.surplus),
        cand.txs,
        cand.by_age,
        (late.paid, late.burned, late.tips, late.mev, late.mev_burned, late.surplus),
        late.txs,
        book.balance(int(Account.MARKET)),
        float(p.environment.demand.tx_size),
        out.prover,
        out.prover_price,
    )
    used, kept, burn = amounts[6], amounts[7], amounts[8]  # mana, what the producer keeps, what is burned
    if any_late:
        incoming = evolve(incoming, counts=incoming.counts - late.by_bucket)
    book = book.post(
        Posting(Flow.TRANSFER, Account.MARKET, producer, kept),
        Posting(Flow.BURN, Account.MARKET, None, burn),
    )
    price = np.clip(price, -book.balance(paid_to), book.balance(int(Account.SEQUENCERS)))
    book = book.post(
        Posting(Flow.TRANSFER, Account.SEQUENCERS, paid_to, np.maximum(price, 0.0)),
        Posting(Flow.TRANSFER, paid_to, Account.SEQUENCERS, np.maximum(-price, 0.0)),
    )

    revealed = out.revealed
    l1_used, proving_cost, backup_cost = kernels_economy.block_costs(  # compiled
        out.stage,
        out.mode,
        revealed,
        out.self_proved,
        out.prover,
        out.backup_builder,
        cand.txs,
        late.txs,
        float(p.environment.demand.tx_size),
        int(Stage.REVEALED),
        int(Mode.BACKUP),
        c.costs,
        float(p.agents.sequencers.proving_cost_per_block),
        float(p.agents.backup.proving_cost_per_block),
    )
    costs = l1_costs(ctx, out, econ.prices, l1_used, revealed)

    bf = p.protocol.base_fee
    base_fee, excess = econ.base_fee, econ.excess
    capacity = p.protocol.block_capacity
    if p.protocol.fee_mechanism == "base_fee_burn":
        updated = fees.next_base_fee(base_fee, used, capacity, bf.target_utilisation, bf.max_change, bf.floor)
        base_fee = np.where(produced, updated, base_fee)
    elif p.protocol.fee_mechanism == "cost_based":  # the next fee is set from the oracle (`market`)
        target = p.protocol.cost_based.target_utilisation
        excess = np.where(produced, fees.next_excess(excess, used, capacity, target), excess)
    clearing = _remembered(ctx, cand, txs, produced, econ.clearing)
    # compiled: the oldest age's transactions the produced block leaves behind expire (late inclusions come from
    # this slot's submissions, not the mempool); the next slot's market removes the block's from the mempool
    expired_by_bucket, expired = kernels_economy.expiring(econ.pending, cand.selection.arrays(), produced)
    waiting = econ.pending_total - (txs - late.txs) - expired
    # the columns but for the rows of `amounts` and `costs` (`AMOUNT_ROWS`, `L1_COST_ROWS`: `record`)
    columns: dict[str, NDArray[Any]] = {
        "base_fee": cand.base_fee,
        "l1_gas_price": econ.prices.gas,
        "blob_price": econ.prices.blob,
        "proving_cost": proving_cost,
        "proving_cost_backup": backup_cost,
        "prover_price": price,
        "eth_per_token": econ.prices.eth_per_token,
        "txs_included": txs,
        "txs_pending": waiting,
        "txs_expired": expired,
        "txs_arrived": arrived.counts.sum(axis=1),
        "txs_late": late.txs,
    }
    profit, stake_slots, apr_slots = econ.sequencer_profit, econ.stake_slots, econ.apr_slots
    if p.agents.sequencers.profit_driven_entry_exit:  # the trailing APR the registry reads
        gained, key_slots = _sequencer_profit(
            ctx, s, kept, price, proving_cost, costs[L1_COST_ROWS.index("l1_cost_sequencer")]
        )
        keep = apr_decay(ctx)  # exponentially weighted: the APR over a trailing window
        profit, stake_slots = gained + keep * profit, key_slots + keep * stake_slots
        apr_slots = 1.0 + keep * apr_slots
    economy = evolve(
        econ,
        pending_total=waiting,
        incoming=incoming,
        base_fee=base_fee,
        excess=excess,
        clearing=clearing,
        settled=Settled(
            columns=columns,
            amounts=amounts,
            l1_costs=costs,
            included_by_age=by_age,
            pending=econ.pending,
            selection=cand.selection,
            produced=produced,
            late=late.by_bucket,
            expired=expired_by_bucket,
        ),
        sequencer_profit=profit,
        stake_slots=stake_slots,
        apr_slots=apr_slots,
    )
    return {"economy": economy, "book": book}


def _sequencer_profit(
    ctx: Context, s: State, kept: F64, price: F64, proving_cost: F64, l1_cost: F64
) -> tuple[F64, F64]:
    """The sequencers' profit in the slot (as `metrics.agent_table` counts it) and their eligible keys."""
    p = ctx.params
    out = s["outcome"]
    active = s["sequencers"].active.astype(np.float64)
    happy = out.mode == int(Mode.HAPPY)
    revenue = (
        out.rewards[:, Role.SEQUENCER]
        + np.where(happy, kept, 0.0)
        + np.where(out.self_proved, out.rewards[:, Role.PROVER], 0.0)
        + np.where(out.submitter == int(Submitter.SEQUENCER), out.rewards[:, Role.SUBMITTER], 0.0)
    )
    slashed = s["book"].flows[:, Flow.SLASH]
    cost = l1_cost + price + np.where(out.self_proved, proving_cost + slashed, 0.0)
    ops = (
        p.agents.operators
    )  # hardware per eligible key, a fixed cost per operator holding one (ETH -> tokens)
    per_slot = 1.0 / p.protocol.slots_per_day / s["economy"].prices.eth_per_token
    running = (
        active * ops.hardware_cost_per_key_per_day + s["operators"].active_operators * ops.fixed_cost_per_day
    ) * per_slot
    return revenue - cost - running, active


COLUMNS: tuple[Column, ...] = (
    Column(
        "base_fee",
        "tokens/mana",
        "base fee the slot's block faced (0 unless `protocol.fee_mechanism` is `base_fee_burn`)",
    ),
    Column(
        "fees_paid",
        "tokens",
        "fees users paid for the block's transactions (0 for a skipped slot: its transactions wait)",
    ),
    Column(
        "fees_burned",
        "tokens",
        "fees burned (the base fee under `base_fee_burn`, all fees under `full_burn`)",
    ),
    Column(
        "tips",
        "tokens",
        "fees to the block producer (sequencers on the happy path, backup builders in backup mode); "
        "`fees_paid == fees_burned + tips`",
    ),
    Column("mev", "tokens", "MEV of the block's public-state transactions"),
    Column("mev_burned", "tokens", "MEV burned (`mev_burn`); the producer keeps `mev - mev_burned`"),
    Column("l1_gas_price", "gwei", "L1 gas price of the slot"),
    Column("blob_price", "gwei/blob gas", "blob gas price of the slot"),
    Column(
        "l1_cost",
        "tokens",
        "all L1 costs of the slot (the four `l1_cost_*` columns; ETH, outside the ledger, converted at the slot's "
        "`eth_per_token`)",
    ),
    Column(
        "l1_cost_sequencer",
        "tokens",
        "sequencers' L1 costs: every landed proposal, the winner's reveal (gas + blobs), and a self-prover's "
        "commitment and (unless a relay submits) proof verification",
    ),
    Column(
        "l1_cost_prover",
        "tokens",
        "the committed third-party prover's L1 costs: commitment, and the proof verification when it submits",
    ),
    Column("l1_cost_relay", "tokens", "a relay's proof verification"),
    Column("l1_cost_backup", "tokens", "the winning backup builder's submission (gas + blobs)"),
    Column(
        "proving_cost",
        "tokens",
        "compute cost of proving the block (third-party prover or self-prover; incurred once the data is revealed)",
    ),
    Column(
        "proving_cost_backup",
        "tokens",
        "compute cost of building and proving the backup block, paid by the backup builder that produced it "
        "(`agents.backup.proving_cost_per_block`; 0 otherwise, and for the attacker's pre-built block)",
    ),
    Column(
        "prover_price",
        "tokens",
        "price the sequencers paid the committed third-party prover (happy path only; a ledger transfer; "
        "negative: the prover paid the sequencers for the right to prove, `prover_market`)",
    ),
    Column(
        "eth_per_token",
        "ETH/token",
        "the slot's token price (`environment.token`): every ETH cost of the slot is converted to tokens at it",
    ),
    Column("txs_included", "txs", "transactions in the slot's block (0 if skipped)", dtype="int32"),
    Column(
        "txs_pending",
        "txs",
        "transactions waiting in the mempool at the end of the slot (before the next arrivals)",
        dtype="int64",
    ),
    Column(
        "txs_expired",
        "txs",
        "transactions that expired in the slot (`environment.demand.expiry_minutes`)",
        dtype="int32",
    ),
    Column(
        "txs_arrived",
        "txs",
        "transactions submitted during the slot (for the next block); identical under every fee mechanism",
        dtype="int32",
    ),
    Column(
        "user_surplus",
        "tokens",
        "users' surplus of the block's transactions: their value minus what they paid (`fees`)",
    ),
    Column(
        "txs_late",
        "txs",
        "transactions submitted during the slot that a late reveal took into its block (`reveal`), in "
        "`txs_included` too",
        dtype="int32",
    ),
    Column("capacity_used", "mana", "capacity the slot's block used (0 if skipped)"),
)
"""The settlement's columns (`Settled.columns`)."""


def settled_of(s: State) -> Settled:
    """What the settlement of the slot of final state `s` did."""
    settled = s["economy"].settled
    assert settled is not None
    return settled


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    """The settlement's columns: those of `Settled.columns`, and the rows of its `amounts` and `l1_costs`
    (`market.ROW_COLUMNS`), each of which is stacked once for the segment (slots x rows x runs) instead of row by
    row."""
    by_slot = [settled_of(s) for s in seg.states]
    names = [c.name for c in COLUMNS]
    first = by_slot[0]
    if first.columns.keys() | ROW_COLUMNS.keys() != set(names) or first.columns.keys() & ROW_COLUMNS.keys():
        raise RuntimeError(
            f"the settlement's columns differ from its declared COLUMNS: {sorted(first.columns)}"
        )
    if first.l1_costs.shape[0] != len(L1_COST_ROWS) or first.amounts.shape[0] < len(AMOUNT_ROWS):
        raise RuntimeError(
            f"the settlement's rows differ from their columns: amounts {first.amounts.shape}, L1 costs "
            f"{first.l1_costs.shape}"
        )
    out = {name: np.array([settled.columns[name] for settled in by_slot]) for name in first.columns}
    stacked = {
        field: np.array([getattr(settled, field) for settled in by_slot])  # slots x rows x runs
        for field in dict.fromkeys(field for field, _ in ROW_COLUMNS.values())
    }
    out.update({name: stacked[field][:, row] for name, (field, row) in ROW_COLUMNS.items()})
    return {name: out[name] for name in names}


RECORDER = Recorder(COLUMNS, record)


def _remembered(
    ctx: Context, cand: Candidate, txs: NDArray[np.int64], produced: NDArray[np.bool_], memory: F64
) -> F64:
    """Users' memory of clearing prices after the slot's block, if one was produced: an exponentially weighted mean
    with the half-life `agents.users.clearing_half_life_minutes` of the block's clearing price, the lowest payment
    per mana among its transactions if it is full, else 0 (anyone who offered something got in); compiled
    (`kernels.clearing_memory`)."""
    keep = 0.5 ** (ctx.per_slot.slot_seconds / 60.0 / ctx.params.agents.users.clearing_half_life_minutes)
    return kernels_economy.clearing_memory(
        cand.by_bucket, cand.pricing.pay, txs, produced, memory, ctx.economy.capacity_txs, keep
    )


_CODES = np.array(
    [Mode.SKIPPED, Mode.HAPPY, Account.SEQUENCERS, Account.BACKUP, Account.PROVER0], dtype=np.int64
)
"""`kernels_economy.block_amounts`' codes: the modes skipped and happy, the producers' and provers' accounts."""
