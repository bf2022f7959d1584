"""More compiled kernels, as `kernels` (numba, `cache=True`; imported only by the functions that call them; each
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
def election_winner(
    candidates: NDArray[np.int64], landed: NDArray[np.bool_], at: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover
    """`election.winner` per run: the best-ranked candidate key (runs x k, -1 for none) whose proposal `landed`, its
    rank and its landing block (`at`), -1 each without one; and the landed proposals of candidates."""
    runs, k = candidates.shape
    proposer = np.full(runs, -1, dtype=np.int64)
    rank = np.full(runs, -1, dtype=np.int64)
    block = np.full(runs, -1, dtype=np.int64)
    proposals = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        for j in range(k):
            if landed[i, j] and candidates[i, j] >= 0:
                if proposals[i] == 0:
                    proposer[i], rank[i], block[i] = candidates[i, j], j, at[i, j]
                proposals[i] += 1
    return proposer, rank, block, proposals


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
    pending: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`market._aged`: the mempool `pending` (runs x buckets x ages) one slot older, its oldest age dropped
    (expired), with the arrivals `counts` (runs x buckets) at age 0; and the arrivals per run. Integer arithmetic."""
    runs, buckets, ages = pending.shape
    aged = np.empty_like(pending)
    arrived = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        for b in range(buckets):
            aged[i, b, 0] = counts[i, b]
            arrived[i] += counts[i, b]
            for a in range(1, ages):
                aged[i, b, a] = pending[i, b, a - 1]
    return aged, arrived


@njit(cache=True)
def settle_mempool(
    pending: NDArray[np.int64], included: NDArray[np.int64], produced: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """The settlement's mempool (`settlement.step_settlement`, integer arithmetic): what is left of `pending` (runs x
    buckets x ages) once the candidate's `included` transactions of produced blocks leave, and the left ones of the
    oldest age per run (they expire)."""
    runs, buckets, ages = pending.shape
    left = np.empty_like(pending)
    expired = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        took = produced[i]
        for b in range(buckets):
            for a in range(ages):
                left[i, b, a] = pending[i, b, a] - (included[i, b, a] if took else 0)
            expired[i] += left[i, b, ages - 1]
    return left, expired


@njit(cache=True)
def demand_by_value(
    included: NDArray[np.int64], produced: NDArray[np.bool_], late: NDArray[np.int64], left: NDArray[np.int64]
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """The slot's transactions by bid bucket (`market.Settled.by_value`, runs x buckets x (ages + 1), integer
    arithmetic): the candidate's `included` ones where a block was `produced`, by slots waited, the `late` ones
    (runs x buckets) at age 0, then the oldest age of the mempool `left` after the block (they expire)."""
    runs, buckets, ages = included.shape
    out = np.empty((runs, buckets, ages + 1), dtype=np.int64)
    for i in range(runs):
        took = produced[i]
        for b in range(buckets):
            for a in range(ages):
                out[i, b, a] = included[i, b, a] if took else 0
            out[i, b, 0] += late[i, b]
            out[i, b, ages] = left[i, b, ages - 1]
    return out


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
