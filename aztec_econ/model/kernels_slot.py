"""More compiled kernels, as `kernels` (numba, `cache=True`; imported as `kernels` says; each
computes exactly what the numpy code it replaced computes, tested against it): the slot's block race and settlement.

Self-contained: none calls a kernel of another module (numba's cache does not notice a change in another file).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def keys_out(
    owner: NDArray[np.int32], down: NDArray[np.bool_], keys: NDArray[np.int64]
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """`operators.out`: whether each key of `keys` (runs x n; -1 for none) has an owner (`owner`: runs x keys, -1
    for none) that is `down` (runs x operators) in this slot."""
    runs, n = keys.shape
    res = np.zeros((runs, n), dtype=np.bool_)
    for i in range(runs):
        for j in range(n):
            key = keys[i, j]
            if key >= 0:
                o = owner[i, key]
                if o >= 0:
                    res[i, j] = down[i, o]
    return res


@njit(cache=True)
def first_landing(
    seconds: NDArray[np.float64],
    includes: NDArray[np.bool_] | None,
    first: int,
    end: int,
    sent: NDArray[np.float64],
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """`timeline.land` per run: the first block j in [first, end) built at or after `sent` (s; one per run, or one
    for all) whose builder `includes` the transaction (runs x slot blocks; None: every builder), -1 if none."""
    runs = seconds.shape[0]
    out = np.full(runs, -1, dtype=np.int64)
    for i in range(runs):
        t = sent[0] if sent.size == 1 else sent[i]
        for j in range(first, end):
            if seconds[i, j] >= t and (includes is None or includes[i, j]):
                out[i] = j
                break
    return out


@njit(cache=True)
def operator_counts(
    held: NDArray[np.int32], down: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`operators.step_operators`' counts per run (integer arithmetic): the eligible keys `held` (runs x operators)
    of operators that are `down` (runs x at least as many operators), and the operators holding any."""
    runs, n = held.shape
    keys_down = np.zeros(runs, dtype=np.int64)
    active = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        for j in range(n):
            h = held[i, j]
            if down[i, j]:
                keys_down[i] += h
            if h > 0:
                active[i] += 1
    return keys_down, active


@njit(cache=True)
def backup_landing(
    window: NDArray[np.float64], done: NDArray[np.float64], open_blocks: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`backup.step_backup`'s race per run: each builder's submission lands in the first block of `window` (their
    build times, s) built at or after it is `done` (s; runs x builders) that includes it (`open_blocks`); returns the
    first landing block (len(window[i]): none) and its builder, the one done first (lowest index on ties; -1: none)."""
    runs, blocks = window.shape
    best = np.full(runs, blocks, dtype=np.int64)
    builder = np.full(runs, -1, dtype=np.int64)
    for i in range(runs):
        lowest = np.inf
        for b in range(done.shape[1]):
            land = blocks
            for j in range(blocks):
                if window[i, j] >= done[i, b] and open_blocks[i, j]:
                    land = j
                    break
            if land < best[i] or (land == best[i] and land < blocks and done[i, b] < lowest):
                best[i], builder[i], lowest = land, b, done[i, b]
    return best, builder


@njit(cache=True)
def late_take(
    counts: NDArray[np.int64],
    share: NDArray[np.float64],
    includable: NDArray[np.bool_],
    spare: NDArray[np.int64],
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """`market.late_inclusions`' transactions by bid bucket (runs x buckets): `share[i]` of each bucket's `counts`
    (rounded down) where includable, the highest bucket first while `spare[i]` transactions fit. Integer
    arithmetic after the rounding (the float product and floor as numpy's)."""
    runs, buckets = counts.shape
    out = np.empty((runs, buckets), dtype=np.int64)
    for i in range(runs):
        above = np.int64(0)  # offered in higher buckets
        for j in range(buckets - 1, -1, -1):
            offered = np.int64(np.floor(counts[i, j] * share[i]) if includable[i, j] else 0)
            room = spare[i] - above
            out[i, j] = min(max(room, 0), offered)
            above += offered
    return out


@njit(cache=True)
def age_mempool(
    pending: NDArray[np.int32],
    counts: NDArray[np.int64],
    included: NDArray[np.int32] | None,
    produced: NDArray[np.bool_] | None,
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`market._aged`: the mempool `pending` (runs x buckets x ages) after the settled block, one slot older: the
    block's `included` transactions leave it where it was `produced` (None: no block, at genesis), its oldest age
    is dropped (expired), the arrivals `counts` (runs x buckets) enter at age 0; and the arrivals per run. Integer
    arithmetic."""
    runs, buckets, ages = pending.shape
    aged = np.empty_like(pending)
    arrived = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        for b in range(buckets):
            aged[i, b, 0] = counts[i, b]
            arrived[i] += counts[i, b]
            for a in range(1, ages):
                aged[i, b, a] = pending[i, b, a - 1]
        if included is not None and produced is not None and produced[i]:
            for b in range(buckets):
                for a in range(1, ages):
                    aged[i, b, a] -= included[i, b, a - 1]
    return aged, arrived


@njit(cache=True)
def expiring(
    pending: NDArray[np.int32], included: NDArray[np.int32], produced: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """The settlement's expiring transactions (`settlement.step_settlement`, integer arithmetic): those of the
    oldest age of `pending` (runs x buckets x ages) that the candidate's `included` transactions of a `produced`
    block leave behind, per bucket (runs x buckets) and per run."""
    runs, buckets, ages = pending.shape
    by_bucket = np.empty((runs, buckets), dtype=np.int64)
    expired = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        took = produced[i]
        for b in range(buckets):
            left = pending[i, b, ages - 1] - (included[i, b, ages - 1] if took else 0)
            by_bucket[i, b] = left
            expired[i] += left
    return by_bucket, expired


@njit(cache=True)
def demand_by_value(
    total: NDArray[np.int64],
    included: NDArray[np.int32],
    produced: NDArray[np.bool_],
    late: NDArray[np.int64],
    expired: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """Add the slot's transactions by bid bucket (`market.Settled.add_by_value`, runs x buckets x (ages + 1), integer
    arithmetic) to `total`, in place: the candidate's `included` ones where a block was `produced`, by slots waited,
    the `late` ones (runs x buckets) at age 0, then the `expired` ones (runs x buckets: `expiring`)."""
    runs, buckets, ages = included.shape
    for i in range(runs):
        took = produced[i]
        for b in range(buckets):
            if took:
                for a in range(ages):
                    total[i, b, a] += included[i, b, a]
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
        blobs = 0.0  # at least one, `settlement.blobs`
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
def confirmation_bins(
    hist: NDArray[np.int64],
    included_by_age: NDArray[np.int64],
    offsets: NDArray[np.int64],
    slot_l1_blocks: int,
) -> None:  # pragma: no cover - compiled
    """`confirmation.accumulate`, in place (integer arithmetic): each included transaction count of
    `included_by_age` (slots x runs x ages) added to `hist` (runs x channels x delay bins) at bin `age x
    slot_l1_blocks + offset` of every channel whose `offsets` (slots x runs x channels) entry is not -1."""
    slots, runs, ages = included_by_age.shape
    channels, width = hist.shape[1], hist.shape[2]
    for t in range(slots):
        for r in range(runs):
            for a in range(ages):
                n = included_by_age[t, r, a]
                if n == 0:
                    continue
                for c in range(channels):
                    off = offsets[t, r, c]
                    if off >= 0:
                        at = a * slot_l1_blocks + off
                        if at >= width:  # numba does not check bounds
                            raise IndexError("a confirmation delay past the histogram's last bin")
                        hist[r, c, at] += n


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
    produced: NDArray[np.bool_],
    block: NDArray[np.float64],
    block_txs: NDArray[np.int64],
    late: NDArray[np.float64],
    late_txs: NDArray[np.int64],
    market: NDArray[np.float64],
    tx_size: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64], bool]:  # pragma: no cover - compiled
    """`settlement.step_settlement`'s amounts of the slot's block (tokens; rows of the result, runs wide): paid,
    burned, tips, mev, mev_burned, surplus, then the mana used, what the producer keeps (tips + mev - mev_burned)
    and what is burned (burned + mev_burned); the block's transactions; whether a late reveal added any.

    `block` holds the candidate's paid, burned, tips, mev, mev_burned and surplus (6 x runs), `late` the late
    inclusions' (`market.late_inclusions`, 6 x runs). A run without a `produced` block has none of the candidate's
    amounts; the late ones are added (to every run) when any run has a late transaction; every amount of a run whose
    users owe more (paid + mev) than the `market` account holds is scaled by market / owed."""
    runs = produced.shape[0]
    out = np.zeros((9, runs), dtype=np.float64)
    txs = np.zeros(runs, dtype=np.int64)
    any_late = False
    for i in range(runs):
        if late_txs[i] != 0:
            any_late = True
    for i in range(runs):
        if produced[i]:
            for r in range(6):
                out[r, i] = block[r, i]
            txs[i] = block_txs[i]
        if any_late:
            for r in range(6):
                out[r, i] = out[r, i] + late[r, i]
            txs[i] += late_txs[i]
        out[6, i] = txs[i] * tx_size
        owed = out[0, i] + out[3, i]
        if owed > market[i]:
            scale = market[i] / (owed if owed > 0 else 1.0)
            for r in (0, 1, 2, 3, 4):
                out[r, i] = out[r, i] * scale
        out[7, i] = out[2, i] + out[3, i] - out[4, i]
        out[8, i] = out[1, i] + out[4, i]
    return out, txs, any_late


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
def reveal_choice(
    value: NDArray[np.float64],
    late: NDArray[np.float64],
    full_bonus: float,
    lands: NDArray[np.float64] | None,
    honest: NDArray[np.bool_] | None,
    seconds: NDArray[np.float64],
    first: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """`reveal.chosen_block` per run: the block of the reveal phase (from slot block `first`, `late.shape[1]` blocks
    long) that maximises the expected revenue, the block's `value` plus the `late` fees and MEV by then (runs x
    phase blocks) plus the early-reveal bonus `full_bonus` x (1 - j / length), times the chance `lands[j]` that the
    reveal lands for the `honest` runs (both None without censorship of reveals); ties: the earliest. Returns the
    slot block and its time in `seconds` (runs x slot blocks; s)."""
    runs, length = late.shape
    at = np.empty(runs, dtype=np.int64)
    sent = np.empty(runs, dtype=np.float64)
    for i in range(runs):
        best, chosen = -np.inf, 0
        for j in range(length):
            gain = value[i] + late[i, j] + full_bonus * (1.0 - j / length)
            if lands is not None and honest is not None and honest[i]:
                gain = gain * lands[j]
            if gain > best or j == 0:
                best, chosen = gain, j
        at[i] = first + chosen
        sent[i] = seconds[i, first + chosen]
    return at, sent


@njit(cache=True)
def reward_split(
    reward: NDArray[np.float64],
    split: NDArray[np.float64],
    proven: NDArray[np.bool_],
    relayed: NDArray[np.bool_],
    prover: NDArray[np.int64],
    self_proved: NDArray[np.bool_],
    bond_locked: NDArray[np.float64],
    rewards: NDArray[np.float64],
    accounts: NDArray[np.int64],
    submitters: NDArray[np.int64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.int8],
]:  # pragma: no cover - compiled
    """`rewards.step_finalization` per run: the block `reward` (tokens) split by `split` (sequencer, prover,
    submitter shares), the amounts minted (3 x runs), the slot's rewards (runs x roles: the sequencer's added to
    what `rewards` holds, the prover's and the submitter's), the prover's ledger account (`ledger.bond_owner`: `accounts` holds the sequencers'
    account and the first prover's), the submitter's (the relays' account, `accounts[2]`, when `relayed`), the bond
    released where `proven`, and who submitted the proof (`submitters`: none, prover, relay, sequencer)."""
    runs = reward.shape[0]
    minted = np.empty((3, runs), dtype=np.float64)
    out = np.zeros_like(rewards)
    prover_account = np.empty(runs, dtype=np.int64)
    submitter_account = np.empty(runs, dtype=np.int64)
    unlock = np.zeros(runs, dtype=np.float64)
    submitter = np.empty(runs, dtype=np.int8)
    for i in range(runs):
        for k in range(3):
            minted[k, i] = reward[i] * split[k]
        out[i, 0] = rewards[i, 0] + minted[0, i]
        out[i, 1] = minted[1, i]
        out[i, 2] = minted[2, i]
        owner = accounts[0] if self_proved[i] or prover[i] < 0 else accounts[1] + prover[i]
        prover_account[i] = owner
        submitter_account[i] = accounts[2] if relayed[i] else owner
        if proven[i]:
            unlock[i] = bond_locked[i]
            if relayed[i]:
                submitter[i] = submitters[2]
            else:
                submitter[i] = submitters[3] if self_proved[i] else submitters[1]
        else:
            submitter[i] = submitters[0]
    return minted, out, prover_account, submitter_account, unlock, submitter


@njit(cache=True)
def l1_block_times(log_u: NDArray[np.float64], log_p: float, block_seconds: float) -> NDArray[np.float64]:
    """`timeline.step_l1_blocks`' block times (s after the slot's first block; runs x slot blocks): block j is built
    `block_seconds` x (j + the empty L1 slots before blocks 1..j) in, the empty slots before a block being
    floor(`log_u` / `log_p`) (geometric with P(at least k) = p^k; `log_u` = log(1 - u) of the block's uniform u)."""
    runs, blocks = log_u.shape
    out = np.empty((runs, blocks), dtype=np.float64)
    for i in range(runs):
        empties = np.int64(0)
        for j in range(blocks):
            if j > 0:  # times count from the slot's first block
                empties += np.int64(np.floor(log_u[i, j] / log_p))
            out[i, j] = (j + empties) * block_seconds
    return out


@njit(cache=True)
def election_outcome(
    candidates: NDArray[np.int64],
    offline_u: NDArray[np.float64],
    offline_probability: float,
    out: NDArray[np.bool_],
    sends: NDArray[np.bool_],
    commits: NDArray[np.bool_] | None,
    at: NDArray[np.int64] | None,
    first: int,
    exit_signal: NDArray[np.int64],
    slot_start: int,
    proposed: int,
    none: int,
) -> tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]
]:  # pragma: no cover - compiled
    """`election.step_election` after the walk, per run: candidate j (`candidates`: runs x k, -1 for none) is online
    if its `offline_u` draw is >= `offline_probability` and its operator is not `out`, sends if `sends` (and, when
    given, `commits`), lands at block `at[i, j]` (offsets in the slot; None: `first`; -1: it does not land) and
    counts if its key is still eligible there (block `slot_start + at` < its `exit_signal`: a key that signalled its
    exit meanwhile is not, spec: Exiting). Returns the best such candidate (-1 for none), its rank and landing block
    (-1 each without one), the landed proposals, and the stage (`proposed` with a winner, else `none`)."""
    runs, k = candidates.shape
    proposer = np.full(runs, -1, dtype=np.int64)
    rank = np.full(runs, -1, dtype=np.int64)
    block = np.full(runs, -1, dtype=np.int64)
    proposals = np.zeros(runs, dtype=np.int64)
    stage = np.full(runs, none, dtype=np.int8)
    for i in range(runs):
        for j in range(k):
            key = candidates[i, j]
            if key < 0 or not sends[i, j] or out[i, j] or not offline_u[i, j] >= offline_probability:
                continue
            if commits is not None and not commits[i, j]:
                continue
            landing = first if at is None else at[i, j]
            if landing < 0 or not slot_start + landing < exit_signal[i, key]:
                continue
            if proposals[i] == 0:
                proposer[i], rank[i], block[i] = key, j, landing
                stage[i] = proposed
            proposals[i] += 1
    return proposer, rank, block, proposals, stage


@njit(cache=True)
def demand_draws(
    u: NDArray[np.float64],
    table: NDArray[np.float64],
    offset: int,
    pieces: int,
    shock_left: NDArray[np.int64],
    shock_probability: float,
    shock_slots: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`demand.arrivals`' shocks and Poisson counts from its uniforms `u` (runs x (2 + buckets x pieces): the shock
    draw, the MEV draw, then each bucket's `pieces`): a run is shocked if its shock lasts (`shock_left` > 0) or
    starts (u[:, 0] < `shock_probability`); the shock slots left after this one (a new shock lasts `shock_slots`);
    and each bucket's arrivals (tx): the sum over its pieces of the Poisson inversion `demand.poisson_two_rates`
    does, the smallest k with u < CDF(k) in `table` (the calm CDF, then the shocked CDF + 2 from `offset`), counted
    from the row's own part. Comparisons and integer arithmetic only, as `np.searchsorted(table, u + 2 x shocked,
    side="right") - offset x shocked` on the non-decreasing `table`."""
    runs = u.shape[0]
    buckets = (u.shape[1] - 2) // pieces
    size = table.size
    counts = np.empty((runs, buckets), dtype=np.int64)
    left = np.empty(runs, dtype=np.int64)
    for i in range(runs):
        lasts = shock_left[i] > 0
        active = lasts or u[i, 0] < shock_probability
        left[i] = shock_left[i] - 1 if lasts else (shock_slots - 1 if active else 0)
        start = offset if active else 0
        shift = 2.0 if active else 0.0
        for b in range(buckets):
            total = 0
            for j in range(2 + b * pieces, 2 + (b + 1) * pieces):
                v = u[i, j] + shift
                k = start
                while k < size and table[k] <= v:
                    k += 1
                total += k - start
            counts[i, b] = total
    return counts, left


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


NO_ACCOUNT = -(1 << 62)
"""`ledger_post`'s account for none: a mint's source, a burn's (or slash's) destination (the supply instead)."""
PER_RUN = NO_ACCOUNT + 1
"""`ledger_post`'s account for one account per run, read from the posting's row array."""


@njit(cache=True)
def _off_accounts(
    account: int, rows: NDArray[np.int64], accounts: int
) -> bool:  # pragma: no cover - compiled
    """Whether `ledger_post`'s `account` (or for `PER_RUN` one of `rows`) is no index of `accounts` accounts."""
    if account == PER_RUN:
        for i in rows:  # noqa: SIM110 - numba compiles no any() over a generator
            if i < -accounts or i >= accounts:
                return True
        return False
    return account != NO_ACCOUNT and (account < -accounts or account >= accounts)


@njit(cache=True)
def ledger_post(
    balances: NDArray[np.float64],
    flows: NDArray[np.float64],
    supply: NDArray[np.float64],
    kind: int,
    src: int,
    src_rows: NDArray[np.int64],
    dst: int,
    dst_rows: NDArray[np.int64],
    amount: NDArray[np.float64],
) -> int:  # pragma: no cover - compiled
    """One posting of `ledger.Book.post`, in place (tokens): per run, `amount` out of `src` (or into `supply` for
    `NO_ACCOUNT`), then into `dst` (or out of `supply`, and for a slash (kind 2) also into the burn flow (column
    1)), then into `flows[:, kind]`; an account is an index of `balances`' columns (negative from the end, as
    numpy's) or `PER_RUN` for `src_rows`/`dst_rows` (one per run). Returns 0, or before changing anything: 1
    where an amount is not >= 0 (negative or NaN), 2 for a source or 3 for a destination out of range, 4 for a
    kind out of range."""
    runs, accounts = balances.shape
    for r in range(runs):
        if not amount[r] >= 0.0:
            return 1
    if _off_accounts(src, src_rows, accounts):
        return 2
    if _off_accounts(dst, dst_rows, accounts):
        return 3
    if kind < 0 or kind >= flows.shape[1]:
        return 4
    for r in range(runs):
        a = amount[r]
        if src == NO_ACCOUNT:
            supply[r] = supply[r] + a
        else:
            i = src_rows[r] if src == PER_RUN else src
            balances[r, i + accounts if i < 0 else i] -= a
        if dst == NO_ACCOUNT:
            supply[r] = supply[r] - a
            if kind == 2:
                flows[r, 1] += a
        else:
            i = dst_rows[r] if dst == PER_RUN else dst
            balances[r, i + accounts if i < 0 else i] += a
        flows[r, kind] += a
    return 0


@njit(cache=True)
def backup_outcome(
    opened: NDArray[np.bool_],
    best: NDArray[np.int64],
    builder: NDArray[np.int64],
    attacker_at: NDArray[np.int64] | None,
    never: int,
    first_block: int,
    reward: float,
    finalized: NDArray[np.int64],
    submitter: NDArray[np.int8],
    rewards: NDArray[np.float64],
    codes: NDArray[np.int64],
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int8],
    NDArray[np.int64],
    NDArray[np.int8],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.int64],
]:  # pragma: no cover - compiled
    """`backup.step_backup` after the race, per run where backup mode `opened`: the attacker's pre-built block wins
    if it lands (`attacker_at`, phase block; None without one) no later than the `best` honest `builder`'s landing
    (`never`: none); the winner's block is finalized at L1 block `first_block` + its landing and mints `reward`
    (tokens) to the backup builders. `codes`: the rewards' backup column, then the modes happy, backup and skipped,
    then the backup submitter. Returns the backup builder (-1: none), the mode, the finalized L1 block and the
    submitter (the previous `finalized` and `submitter` unless it won), the slot's rewards (`rewards` with the
    backup column set), the amount minted, whether the attacker's block won, and the landing block."""
    runs = opened.shape[0]
    out_builder = np.empty(runs, dtype=np.int64)
    mode = np.empty(runs, dtype=np.int8)
    out_finalized = np.empty(runs, dtype=np.int64)
    out_submitter = np.empty(runs, dtype=np.int8)
    out_rewards = rewards.copy()
    amount = np.zeros(runs, dtype=np.float64)
    by_attacker = np.zeros(runs, dtype=np.bool_)
    landed = np.empty(runs, dtype=np.int64)
    column = codes[0]
    for i in range(runs):
        attacker = False
        if attacker_at is not None:
            attacker = opened[i] and attacker_at[i] < never and attacker_at[i] <= best[i]
        b = -1 if attacker or not opened[i] else builder[i]
        land = attacker_at[i] if attacker and attacker_at is not None else best[i]
        won = opened[i] and (b >= 0 or attacker)
        amount[i] = reward if won else 0.0
        out_rewards[i, column] = amount[i]
        mode[i] = codes[1] if not opened[i] else (codes[2] if won else codes[3])
        out_builder[i] = b if won else -1
        out_finalized[i] = first_block + land if won else finalized[i]
        out_submitter[i] = codes[4] if won else submitter[i]
        by_attacker[i] = attacker
        landed[i] = land
    return out_builder, mode, out_finalized, out_submitter, out_rewards, amount, by_attacker, landed
