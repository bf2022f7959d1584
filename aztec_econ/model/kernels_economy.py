"""The economy's compiled kernels, as `kernels` (numba, `cache=True`; imported as `kernels` says; each computes
exactly what the numpy code it replaced computes, tested against it): the demand's Poisson draws, first-price
pricing, the candidate block's selection and amounts, the mempool's aging and expiries, the settlement's block
amounts and costs, L1 cost split and clearing-price memory, the demand histogram, the L1 prices' log-OU step, and the
prover market's per-slot terms.

Self-contained: none calls a kernel of another module (numba's cache does not notice a change in another file).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

SelectionArrays = tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
"""`demand.Selection.arrays()`: eligible buckets (runs x buckets), the cut's bucket, age and transactions taken."""

FeeAmounts = tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]
"""A block's paid, burned, tips, mev, mev_burned and surplus per run (tokens; `block_amounts`)."""


@njit(cache=True)
def select_mempool(
    pending: NDArray[np.int32], eligible: NDArray[np.bool_], capacity_txs: int
) -> tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """`demand.select_by_bucket` per run: the transactions of `eligible` buckets, highest bucket first and, within
    a bucket, oldest first, while at most `capacity_txs` fit, as a `demand.Selection`'s cut (bucket, age, taken
    there; bucket -1: no cut), with their totals by bucket (runs x buckets) and by age (runs x ages). Integer
    arithmetic only; writes nothing per cell."""
    runs, buckets, ages = pending.shape
    cut_bucket = np.full(runs, -1, dtype=np.int64)
    cut_age = np.full(runs, -1, dtype=np.int64)
    cut_take = np.zeros(runs, dtype=np.int64)
    by_bucket = np.zeros((runs, buckets), dtype=np.int64)
    by_age = np.zeros((runs, ages), dtype=np.int64)
    for i in range(runs):
        room = np.int64(max(capacity_txs, 0))  # no room: the first transaction is the cut, taking none
        cut = False
        for b in range(buckets - 1, -1, -1):
            if not eligible[i, b]:
                continue
            total = np.int64(0)
            for a in range(ages - 1, -1, -1):
                x = np.int64(pending[i, b, a])
                if x > room:  # the first that does not fit whole: the cut
                    cut_bucket[i], cut_age[i], cut_take[i] = b, a, room
                    by_age[i, a] += room
                    total += room
                    cut = True
                    break
                room -= x
                by_age[i, a] += x
                total += x
            by_bucket[i, b] = total
            if cut:
                break
    return cut_bucket, cut_age, cut_take, by_bucket, by_age


@njit(cache=True)
def _taken(
    x: np.int64, eligible: bool, b: int, a: int, cut_bucket: int, cut_age: int, cut_take: int
) -> np.int64:  # pragma: no cover - compiled
    """Of the `x` pending transactions of bucket `b`, age `a` of one run, those its block takes (`demand.Selection`):
    all of an eligible bucket's before the cut (higher buckets; in the cut's bucket, older ages), `cut_take` at the
    cut, none after."""
    if not eligible:
        return np.int64(0)
    if cut_bucket < 0 or b > cut_bucket or (b == cut_bucket and a > cut_age):
        return np.int64(x)
    if b == cut_bucket and a == cut_age:
        return np.int64(cut_take)
    return np.int64(0)


@njit(cache=True)
def selected(
    pending: NDArray[np.int32],
    selection: SelectionArrays,
) -> NDArray[np.int32]:  # pragma: no cover - compiled
    """`demand.Selection.dense`: the transactions a selection takes of `pending` (runs x buckets x ages)."""
    eligible, cut_bucket, cut_age, cut_take = selection
    runs, buckets, ages = pending.shape
    out = np.empty_like(pending)
    for i in range(runs):
        for b in range(buckets):
            for a in range(ages):
                out[i, b, a] = _taken(
                    pending[i, b, a], eligible[i, b], b, a, cut_bucket[i], cut_age[i], cut_take[i]
                )
    return out


@njit(cache=True)
def age_mempool(
    pending: NDArray[np.int32],
    counts: NDArray[np.int64],
    selection: SelectionArrays,
    produced: NDArray[np.bool_],
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`market._aged`: the mempool `pending` (runs x buckets x ages) after the settled block, one slot older: the
    transactions the block's selection (`eligible` buckets up to the cut, `demand.Selection`) took leave it where it
    was `produced`, its oldest age is dropped (expired), the arrivals `counts` (runs x buckets) enter at age 0; and
    the arrivals per run. Integer arithmetic. What `_taken` takes, a bucket at a time: every transaction of its ages
    from `kept` on, and `cut_take` at the cut, so the cells' loop has no branch on the cut (measured 2026-12-08 on
    a simulation's mempools, 100 runs: 12.0 -> 9.8 us a call, best of 7 rounds)."""
    eligible, cut_bucket, cut_age, cut_take = selection
    runs, buckets, ages = pending.shape
    aged = np.empty_like(pending)
    arrived = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        took = produced[i]
        cb, ca, ct = cut_bucket[i], cut_age[i], cut_take[i]
        for b in range(buckets):
            aged[i, b, 0] = counts[i, b]
            arrived[i] += counts[i, b]
            kept = ages  # the ages from which the block took everything (`_taken`): none
            at_cut = False
            if took and eligible[i, b]:
                if cb < 0 or b > cb:
                    kept = 0  # an eligible bucket above the cut's (or with no cut): all of it
                elif b == cb:
                    kept, at_cut = ca + 1, True  # the cut's bucket: the ages older than the cut
            for a in range(1, ages):
                aged[i, b, a] = pending[i, b, a - 1] if a - 1 < kept else 0
            if at_cut and ca + 1 < ages:
                aged[i, b, ca + 1] = pending[i, b, ca] - ct
    return aged, arrived


@njit(cache=True)
def expiring(
    pending: NDArray[np.int32],
    selection: SelectionArrays,
    produced: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """The settlement's expiring transactions (`settlement.step_settlement`, integer arithmetic): those of the
    oldest age of `pending` (runs x buckets x ages) that the block's selection (`demand.Selection`) leaves behind
    where it was `produced`, per bucket (runs x buckets) and per run."""
    eligible, cut_bucket, cut_age, cut_take = selection
    runs, buckets, ages = pending.shape
    by_bucket = np.empty((runs, buckets), dtype=np.int64)
    expired = np.zeros(runs, dtype=np.int64)
    last = ages - 1
    for i in range(runs):
        took = produced[i]
        for b in range(buckets):
            x = np.int64(pending[i, b, last])
            left = x - (
                _taken(x, eligible[i, b], b, last, cut_bucket[i], cut_age[i], cut_take[i]) if took else 0
            )
            by_bucket[i, b] = left
            expired[i] += left
    return by_bucket, expired


@njit(cache=True)
def demand_by_value(
    total: NDArray[np.int64],
    pending: NDArray[np.int32],
    selection: SelectionArrays,
    produced: NDArray[np.bool_],
    late: NDArray[np.int64],
    expired: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """Add the slot's transactions by bid bucket (`market.Settled.add_by_value`, runs x buckets x (ages + 1), integer
    arithmetic) to `total`, in place: those the block's selection took of `pending` (`demand.Selection`) where a
    block was `produced`, by slots waited, the `late` ones (runs x buckets) at age 0, then the `expired` ones (runs
    x buckets: `expiring`)."""
    eligible, cut_bucket, cut_age, cut_take = selection
    runs, buckets, ages = pending.shape
    for i in range(runs):
        took = produced[i]
        cb, ca, ct = cut_bucket[i], cut_age[i], cut_take[i]
        for b in range(buckets):
            if took:
                ok = eligible[i, b]
                for a in range(ages):
                    total[i, b, a] += _taken(np.int64(pending[i, b, a]), ok, b, a, cb, ca, ct)
            total[i, b, 0] += late[i, b]
            total[i, b, ages] += expired[i, b]


@njit(cache=True)
def l1_cost_split(
    gas_price: NDArray[np.float64],
    blob_price: NDArray[np.float64],
    eth_per_token: NDArray[np.float64],
    used: NDArray[np.float64],
    stage: NDArray[np.int8],
    submitter: NDArray[np.int8],
    mode: NDArray[np.int8],
    prover: NDArray[np.int64],
    proposals: NDArray[np.int64],
    self_proved: NDArray[np.bool_],
    revealed: NDArray[np.bool_],
    gas: NDArray[np.float64],
    blobs_per_full_block: float,
    capacity: float,
    gwei: float,
    blob_gwei: float,
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`settlement.l1_costs` per run, in the numpy code's floating-point operations: token equivalents of the
    slot's L1 costs (5 x runs: all, the sequencers', the third-party prover's, a relay's, the backup builder's).
    Prices in gwei per (blob) gas, `used` mana of `capacity`; `gas`: per proposal (a consolidated commitment
    included), commitment (0 when consolidated), reveal, verification, backup (gas); `gwei`: ETH per gwei;
    `blob_gwei`: ETH per blob at 1 gwei per blob gas; codes as `stage.Stage`, `Submitter`, `Mode`."""
    runs = gas_price.size
    out = np.empty((5, runs))
    per_proposal, commitment, reveal, verification, backup = gas[0], gas[1], gas[2], gas[3], gas[4]
    for i in range(runs):
        per_gas = gas_price[i] * (gwei / eth_per_token[i])  # tokens per gas
        blobs = 0.0  # at least one where blocks carry blobs (as `kernels_phases.backup_worth_it` counts them)
        if blobs_per_full_block != 0:
            blobs = np.maximum(1.0, np.ceil(blobs_per_full_block * used[i] / capacity))
        blob_cost = blobs * blob_price[i] * (blob_gwei / eth_per_token[i])
        by_prover = submitter[i] == 1 or submitter[i] == 3  # PROVER, SEQUENCER
        committed = commitment if stage[i] >= 2 else 0.0  # COMMITTED
        prover_side = (committed + (verification if by_prover else 0.0)) * per_gas
        sequencer = (per_proposal * proposals[i] + (reveal if revealed[i] else 0.0)) * per_gas
        sequencer = sequencer + (blob_cost if revealed[i] else 0.0)
        sequencer = sequencer + (prover_side if self_proved[i] else 0.0)
        third = prover_side if prover[i] >= 0 else 0.0
        relay = verification * per_gas if submitter[i] == 2 else 0.0  # RELAY
        by_backup = backup * per_gas + blob_cost if mode[i] == 1 else 0.0  # BACKUP
        out[0, i] = sequencer + third + relay + by_backup
        out[1, i] = sequencer
        out[2, i] = third
        out[3, i] = relay
        out[4, i] = by_backup
    return out


@njit(cache=True)
def clearing_memory(
    by_bucket: NDArray[np.int64],
    pay: NDArray[np.float64],
    txs: NDArray[np.int64],
    produced: NDArray[np.bool_],
    memory: NDArray[np.float64],
    capacity_txs: int,
    keep: float,
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """Users' memory of clearing prices after the slot's block (`settlement._remembered`, tokens/mana): where a block
    was produced, `keep` x `memory` + (1 - `keep`) x its clearing price, the lowest `pay` among the buckets it took
    from (`by_bucket` > 0; a NaN one wins, as in numpy's min) if its `txs` fill `capacity_txs` and that is finite,
    else 0; elsewhere `memory` unchanged."""
    runs, buckets = by_bucket.shape
    out = np.empty(runs)
    for i in range(runs):
        if not produced[i]:
            out[i] = memory[i]
            continue
        lowest = np.inf
        for j in range(buckets):
            if by_bucket[i, j] > 0:
                q = pay[i, j]
                if q < lowest or np.isnan(q):
                    lowest = q
        latest = lowest if txs[i] >= capacity_txs and np.isfinite(lowest) else 0.0
        out[i] = keep * memory[i] + (1.0 - keep) * latest
    return out


@njit(cache=True)
def reveal_share(
    seconds: NDArray[np.float64],
    happy: NDArray[np.bool_],
    revealed: NDArray[np.bool_],
    reveal_block: NDArray[np.int64],
    slot_seconds: float,
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`settlement.step_settlement`'s share of the slot a happy block's reveal took (`reveal_block`'s time in
    `seconds` (runs x slot blocks) over `slot_seconds`, clipped to [0, 1]); 0 for a run without a revealed happy
    block or one at an infinite time."""
    runs = happy.shape[0]
    out = np.zeros(runs, dtype=np.float64)
    for i in range(runs):
        block = reveal_block[i]
        if happy[i] and revealed[i] and block >= 0:
            t = seconds[i, block]
            if np.isfinite(t):
                out[i] = min(max(t / slot_seconds, 0.0), 1.0)
    return out


@njit(cache=True)
def block_amounts(
    mode: NDArray[np.int8],
    codes: NDArray[np.int64],
    block: FeeAmounts,
    block_txs: NDArray[np.int64],
    block_by_age: NDArray[np.int64],
    late: FeeAmounts,
    late_txs: NDArray[np.int64],
    market: NDArray[np.float64],
    tx_size: float,
    prover: NDArray[np.int64],
    prover_price: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int64],
    bool,
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
]:  # pragma: no cover - compiled
    """`settlement.step_settlement`'s amounts of the slot's block (tokens; rows of the result, runs wide): paid,
    burned, tips, mev, mev_burned, surplus, then the mana used, what the producer keeps (tips + mev - mev_burned)
    and what is burned (burned + mev_burned); the block's transactions; whether a late reveal added any; the
    included transactions by slots waited (runs x ages: the candidate's `block_by_age`, late inclusions at age 0);
    the producer's account, the account the agreed price goes to and that price before its cap.

    `block` holds the candidate's paid, burned, tips, mev, mev_burned and surplus, `late` the late inclusions'
    (`market.late_inclusions`). A run whose slot was skipped (`mode` codes[0], codes: skipped, happy, then the
    accounts sequencers, backup, prover 0) has none of the candidate's amounts; the late ones are added (to every
    run) when any run has a late transaction; every amount of a run whose users owe more (paid + mev) than the
    `market` account holds is scaled by market / owed. The producer is the sequencers' account on the happy path,
    else the backup builders'; the price is the committed third-party `prover`'s `prover_price` on the happy path
    (else 0), paid to its account (the sequencers' where none)."""
    skipped, happy, sequencers, backup, prover0 = codes[0], codes[1], codes[2], codes[3], codes[4]
    runs, ages = block_by_age.shape
    out = np.zeros((9, runs), dtype=np.float64)
    txs = np.zeros(runs, dtype=np.int64)
    by_age = np.zeros((runs, ages), dtype=np.int64)
    producer = np.empty(runs, dtype=np.int64)
    paid_to = np.empty(runs, dtype=np.int64)
    price = np.zeros(runs, dtype=np.float64)
    any_late = False
    for i in range(runs):
        if late_txs[i] != 0:
            any_late = True
    for i in range(runs):
        produced = mode[i] != skipped
        if produced:
            for r in range(6):
                out[r, i] = block[r][i]
            txs[i] = block_txs[i]
            for a in range(ages):
                by_age[i, a] = block_by_age[i, a]
        if any_late:
            for r in range(6):
                out[r, i] = out[r, i] + late[r][i]
            txs[i] += late_txs[i]
            if ages:
                by_age[i, 0] += late_txs[i]
        out[6, i] = txs[i] * tx_size
        owed = out[0, i] + out[3, i]
        if owed > market[i]:
            scale = market[i] / (owed if owed > 0 else 1.0)
            for r in (0, 1, 2, 3, 4):
                out[r, i] = out[r, i] * scale
        out[7, i] = out[2, i] + out[3, i] - out[4, i]
        out[8, i] = out[1, i] + out[4, i]
        producer[i] = sequencers if mode[i] == happy else backup
        paid_to[i] = prover0 + prover[i] if prover[i] >= 0 else sequencers
        if mode[i] == happy and prover[i] >= 0:
            price[i] = prover_price[i]
    return out, txs, any_late, by_age, producer, paid_to, price


@njit(cache=True)
def block_costs(
    stage: NDArray[np.int8],
    mode: NDArray[np.int8],
    revealed: NDArray[np.bool_],
    self_proved: NDArray[np.bool_],
    prover: NDArray[np.int64],
    backup_builder: NDArray[np.int64],
    block_txs: NDArray[np.int64],
    late_txs: NDArray[np.int64],
    tx_size: float,
    revealed_stage: int,
    backup_mode: int,
    prover_costs: NDArray[np.float64],
    own_cost: float,
    backup_cost: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """`settlement.step_settlement`'s cost inputs per run: the mana of the block the L1 data carries (a
    revealed block, or one built in backup mode at `backup_mode`; else 0: the candidate's `block_txs` and the late
    inclusions' `late_txs`), the compute cost of proving it once
    revealed (stage >= `revealed_stage`: `own_cost` if self-proved, plus the committed third-party prover's
    `prover_costs[prover]`), and the backup builder's `backup_cost` where one built the block (tokens)."""
    runs = stage.shape[0]
    used = np.zeros(runs, dtype=np.float64)
    proving = np.zeros(runs, dtype=np.float64)
    backup = np.zeros(runs, dtype=np.float64)
    for i in range(runs):
        in_backup = mode[i] == backup_mode
        if revealed[i] or in_backup:
            used[i] = (block_txs[i] + late_txs[i]) * tx_size
        if stage[i] >= revealed_stage:
            own = own_cost if self_proved[i] else 0.0
            third = prover_costs[prover[i]] if prover[i] >= 0 and prover_costs.size else 0.0
            proving[i] = own + third
        if in_backup and backup_builder[i] >= 0:
            backup[i] = backup_cost
    return used, proving, backup


@njit(cache=True)
def demand_draws(
    u: NDArray[np.float64],
    table: NDArray[np.float64],
    offset: int,
    guide: NDArray[np.int64],
    pieces: int,
    shock_left: NDArray[np.int64],
    shock_probability: float,
    shock_slots: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`demand.arrivals`' shocks and Poisson counts from its uniforms `u` (runs x (2 + buckets x pieces): the shock
    draw, the MEV draw, then each bucket's `pieces`): a run is shocked if its shock lasts (`shock_left` > 0) or
    starts (u[:, 0] < `shock_probability`); the shock slots left after this one (a new shock lasts `shock_slots`);
    and each bucket's arrivals (tx): the sum over its pieces of the Poisson inversion of `demand.two_rate_table`,
    the smallest k with u < CDF(k) in `table` (the calm CDF, then the shocked CDF + 2 from `offset`), counted
    from the row's own part. The search starts where the part's `guide` row (`demand.inversion_guide`) says for the
    uniform's cell, floor((v - shift) x cells) of the shifted value v (exact: v - 2 in [0, 1] by Sterbenz's lemma, the
    cells a power of two), and passes entries <= v from there. Comparisons and integer arithmetic only, as
    `np.searchsorted(table, u + 2 x shocked, side="right") - offset x shocked` on the non-decreasing `table`."""
    runs = u.shape[0]
    buckets = (u.shape[1] - 2) // pieces
    size = table.size
    cells = guide.shape[1] - 1
    counts = np.empty((runs, buckets), dtype=np.int64)
    left = np.empty(runs, dtype=np.int64)
    for i in range(runs):
        lasts = shock_left[i] > 0
        active = lasts or u[i, 0] < shock_probability
        left[i] = shock_left[i] - 1 if lasts else (shock_slots - 1 if active else 0)
        start = offset if active else 0
        shift = 2.0 if active else 0.0
        row = guide[1] if active else guide[0]
        for b in range(buckets):
            total = 0
            for j in range(2 + b * pieces, 2 + (b + 1) * pieces):
                v = u[i, j] + shift
                k = row[min(int((v - shift) * cells), cells)]
                while k < size and table[k] <= v:
                    k += 1
                total += k - start
            counts[i, b] = total
    return counts, left


@njit(cache=True)
def log_ou_step(
    x: NDArray[np.float64], theta: float, mu: float, sigma: float, eps: NDArray[np.float64]
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`l1_prices._ou`'s step of the log price: x + theta (mu - x) + sigma eps per run, in numpy's order."""
    out = np.empty(x.size, dtype=np.float64)
    for i in range(x.size):
        out[i] = x[i] + theta * (mu - x[i]) + sigma * eps[i]
    return out


@njit(cache=True, error_model="numpy")  # a zero token price divides as numpy does (inf), not raising
def prover_terms(
    gas_price: NDArray[np.float64],
    reward_factor: NDArray[np.float64],
    eth_per_token: NDArray[np.float64],
    gwei: float,
    block_reward: float,
    prover_share: float,
    submitter_share: float,
    verification_gas: float,
    relay_submits: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """`prover_market.slot_terms` per run, in its numpy expressions' order: tokens per gas, `gas_price` x `gwei` /
    `eth_per_token`; the share of proofs the prover submits, `relay_submits` where a relay would submit
    (`prover_market.relay_pays`: the submitter's share of the decayed reward, `block_reward` x `reward_factor`,
    covers `verification_gas` at that price), else 1; its reward share on success, the decayed reward x
    (`prover_share` + `submitter_share` x that share) (tokens)."""
    n = gas_price.size
    tokens_per_gas = np.empty(n)
    submits = np.empty(n)
    reward = np.empty(n)
    for i in range(n):
        per_gas = gas_price[i] * gwei / eth_per_token[i]
        decayed = block_reward * reward_factor[i]
        share = relay_submits if decayed * submitter_share >= verification_gas * per_gas else 1.0
        tokens_per_gas[i] = per_gas
        submits[i] = share
        reward[i] = decayed * (prover_share + submitter_share * share)
    return tokens_per_gas, submits, reward


@njit(cache=True)
def first_price_pricing(
    values: NDArray[np.float64], clearing: NDArray[np.float64], margin: float, min_bid: float, burned: bool
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """`fees.pricing` of the first-price mechanisms (runs x buckets): every bucket includable; it pays its shaded
    bid, min(value, max(`min_bid`, clearing x (1 + `margin`))) per mana (`values`: per bucket, `clearing`: per run;
    tokens/mana), all burned if `burned` (full_burn), else none. As np.maximum and np.minimum: NaN propagates and a
    tie gives the second operand."""
    runs, buckets = clearing.size, values.size
    includable = np.ones((runs, buckets), dtype=np.bool_)
    pay = np.empty((runs, buckets))
    burn = np.zeros((runs, buckets))
    for i in range(runs):
        x = clearing[i] * (1.0 + margin)
        offer = min_bid if (min_bid > x or min_bid != min_bid) else x
        for j in range(buckets):
            v = values[j]
            pay[i, j] = v if (v < offer or v != v) else offer
            if burned:
                burn[i, j] = pay[i, j]
    return includable, pay, burn


@njit(cache=True)
def candidate_amounts(
    txs: NDArray[np.int64],
    mev_draw: NDArray[np.float64],
    tips: NDArray[np.float64],
    mev_per_tx: float,
    tx_size: float,
    burn_mev: bool,
    burn_share: float,
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:  # pragma: no cover - compiled
    """`market.prepare`'s amounts per run of a block of `txs` transactions: its MEV, `mev_per_tx` (the public
    transactions' MEV per transaction, tokens) x txs x `mev_draw`; the capacity it uses, txs x `tx_size` (mana); the
    MEV burned, MEV x `burn_share` if `burn_mev` (mev_burn), else 0.0; what the producer keeps, `tips` + MEV -
    MEV burned (tokens). Elementwise, in the numpy expression's order."""
    n = txs.size
    mev = np.empty(n)
    used = np.empty(n)
    mev_burned = np.empty(n)
    kept = np.empty(n)
    for i in range(n):
        x = np.float64(txs[i])
        m = mev_per_tx * x * mev_draw[i]
        b = m * burn_share if burn_mev else 0.0
        mev[i] = m
        used[i] = x * tx_size
        mev_burned[i] = b
        kept[i] = tips[i] + m - b
    return mev, used, mev_burned, kept
