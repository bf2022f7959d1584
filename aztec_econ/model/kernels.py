"""Compiled kernels (numba, `cache=True`: compiled once per machine, then loaded from the cache).

Imported at module level by the mechanisms only a simulation loads (an import inside a function costs ~1.4 us a
call), and inside the calling function by modules the CLI or the analysis of results also import (`demand`, `fees`,
`timeline`, `prover_market`, `confirmation`, `rng`, `draws`, `column_store`): numba's import costs start-up time
that `--help` and reading results should not pay (tests/test_cli_startup.py). A kernel that cannot compile raises at its first call: there is no silent pure-Python fallback, so a broken install
fails loudly instead of running 10x slower. Each kernel computes exactly what the numpy code it replaces computes
(the golden output hashes pin this), with every integer in 64-bit unsigned or signed arithmetic as in numpy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from aztec_econ.model.splitmix import MIX1 as _MIX1
from aztec_econ.model.splitmix import MIX2 as _MIX2

_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def _mix64(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled; `rng.mix64` for one value
    x = x ^ (x >> _S30)
    x = x * _MIX1
    x = x ^ (x >> _S27)
    x = x * _MIX2
    return x ^ (x >> _S31)


_WALK_BATCH = 8
"""Rank positions `top_eligible_walk` permutes at once: their Feistel rounds are independent, so the processor
overlaps them instead of waiting on one position's chain of 4 hashes (the positions after the k-th eligible key of a
batch are permuted and not used)."""


@njit(cache=True)
def top_eligible_walk(
    randao: NDArray[np.uint64],
    words: NDArray[np.uint64],
    eligible: NDArray[np.int64],
    exit_signal: NDArray[np.int64],
    rows: NDArray[np.int64] | None,
    block: int,
    k: int,
    bits: int,
    status: NDArray[np.int8],
    status_first: int,
    status_last: int,
    status_step: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """The Fernet election's walk (`election.top_eligible`): for each run i, the first k keys, in rank-position
    order 0, 1, 2, ... of the 4-round Feistel permutation with round keys mix64(randao[i] ^ words[r]) (r = 0..3,
    `election.round_keys`), that are eligible at `block` in registry row `rows[i]` (None: row i; `eligible <= block <
    exit_signal`, as `Registry.eligible_at_rows`); -1 padded. When `block` is one of the blocks `status` covers
    (`status_first`, every `status_step` blocks, to `status_last`: the registry chunk's slot starts,
    `kernels_slot.chunk_eligibility`) a key's status byte answers, and only a key whose status changes within the
    chunk reads its times."""
    runs = randao.shape[0]
    cap = eligible.shape[1]
    covered = (
        status.shape[0] == eligible.shape[0]
        and status.shape[1] == cap
        and status_first <= block <= status_last
        and (block - status_first) % max(status_step, 1) == 0
    )
    out = np.full((runs, k), -1, dtype=np.int64)
    a = bits // 2
    c = bits - a
    mask_a = (_ONE << np.uint64(a)) - _ONE
    mask_c = (_ONE << np.uint64(c)) - _ONE
    domain = np.uint64(1) << np.uint64(bits)
    shift_c = np.uint64(c)
    batch = np.empty(_WALK_BATCH, dtype=np.int64)
    for i in range(runs):
        row = i if rows is None else rows[i]
        r = randao[i]
        k0, k1 = _mix64(r ^ words[0]), _mix64(r ^ words[1])
        k2, k3 = _mix64(r ^ words[2]), _mix64(r ^ words[3])
        found = 0
        p = np.uint64(0)
        while found < k and p < domain:
            # the next positions' keys first (independent: their hashes overlap), then examined in order
            n = _WALK_BATCH if domain - p >= np.uint64(_WALK_BATCH) else np.int64(domain - p)
            for b in range(n):
                q = p + np.uint64(b)
                left = q >> shift_c
                right = q & mask_c
                # rounds 0..3 (`election.feistel`): the left width alternates a, c, a, c
                left, right = right, left ^ (_mix64(right ^ k0) & mask_a)
                left, right = right, left ^ (_mix64(right ^ k1) & mask_c)
                left, right = right, left ^ (_mix64(right ^ k2) & mask_a)
                left, right = right, left ^ (_mix64(right ^ k3) & mask_c)
                batch[b] = np.int64((left << shift_c) | right)
            for b in range(n):
                key = batch[b]
                if found < k and key < cap:
                    known = status[row, key] if covered else 2
                    if known == 1 or (
                        known == 2 and eligible[row, key] <= block and block < exit_signal[row, key]
                    ):
                        out[i, found] = key
                        found += 1
            p += np.uint64(n)
    return out


@njit(cache=True)
def mix64_flat(x: NDArray[np.uint64]) -> NDArray[np.uint64]:  # pragma: no cover - compiled
    """`rng.mix64` of every word of a one-dimensional array (a new array)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _mix64(x[i])
    return out


@njit(cache=True)
def stream_words(
    keys: NDArray[np.uint64], stream_word: np.uint64, counter_word: np.uint64
) -> NDArray[np.uint64]:  # pragma: no cover - compiled
    """`rng.stream_keys` of one-dimensional `keys`: mix64(mix64(key ^ stream_word) + counter_word x MIX2) per key
    (a new array; 64-bit unsigned arithmetic, wrapping)."""
    out = np.empty_like(keys)
    step = counter_word * _MIX2
    for i in range(keys.size):
        out[i] = _mix64(_mix64(keys[i] ^ stream_word) + step)
    return out


@njit(cache=True)
def stream_uniforms(
    keys: NDArray[np.uint64], stream_word: np.uint64, counter_word: np.uint64, words: NDArray[np.uint64]
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`unit_words(stream_words(keys, stream_word, counter_word), words)` in one pass: `rng.uniforms`."""
    out = np.empty((keys.size, words.size), dtype=np.float64)
    step = counter_word * _MIX2
    scale = 1.0 / 9007199254740992.0  # 2**-53, as `rng._TO_UNIT`
    eleven = np.uint64(11)
    for i in range(keys.size):
        b = _mix64(_mix64(keys[i] ^ stream_word) + step)
        for j in range(words.size):
            out[i, j] = np.float64(_mix64(b + words[j]) >> eleven) * scale
    return out


@njit(cache=True)
def unit_words(
    base: NDArray[np.uint64], words: NDArray[np.uint64]
) -> NDArray[np.float64]:  # pragma: no cover
    """Uniforms in [0, 1) of shape (len(base), len(words)): `rng.to_unit(rng.mix64(base[i] + words[j]))`, the
    per-run draws of `rng.bits` and `draws.slot_draws` without their intermediate arrays."""
    out = np.empty((base.size, words.size), dtype=np.float64)
    scale = 1.0 / 9007199254740992.0  # 2**-53, as `rng._TO_UNIT`
    eleven = np.uint64(11)
    for i in range(base.size):
        b = base[i]
        for j in range(words.size):
            out[i, j] = np.float64(_mix64(b + words[j]) >> eleven) * scale
    return out


@njit(cache=True)
def outage_step(
    base: NDArray[np.uint64],
    words: NDArray[np.uint64],
    was: NDArray[np.bool_],
    n_operators: NDArray[np.int64],
    fail: float,
    recover: float,
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """`operators.next_down`: operator j of run i (j < len(words); none from n_operators[i] on) is down if it was
    (`was`) and its uniform (as `unit_words`) is >= `recover`, or was up and it is < `fail`; the rest up. The uniform
    u = m x 2^-53 of the 53-bit word m is compared as m with ceil(probability x 2^53), which is exact; a run's words
    are mixed in one pass and compared in another: the mixing loop vectorizes (checked in the generated code on an
    AVX2 machine: four words at a time, each 64-bit product built from 32-bit ones, `vpmuludq`)."""
    out = np.zeros_like(was)
    unit = 9007199254740992.0  # 2**53, as `rng._TO_UNIT`'s inverse
    fail_at = np.uint64(math.ceil(min(max(fail, 0.0), 1.0) * unit))
    recover_at = np.uint64(math.ceil(min(max(recover, 0.0), 1.0) * unit))
    eleven = np.uint64(11)
    mixed = np.empty(words.size, dtype=np.uint64)
    for i in range(base.size):
        b = base[i]
        n = min(words.size, n_operators[i])
        for j in range(n):
            mixed[j] = _mix64(b + words[j]) >> eleven
        for j in range(n):
            out[i, j] = mixed[j] >= recover_at if was[i, j] else mixed[j] < fail_at
    return out


STRATEGY_CODES = {"cheapest": 0, "most_reliable": 1, "self_prove_when_able": 2}
"""`agents.sequencers.prover_strategy` as the integer `second_price_auction` takes."""


@njit(cache=True)
def second_price_auction(
    base_cost: NDArray[np.float64],
    base_success: NDArray[np.float64],
    failure: NDArray[np.float64],
    timely: NDArray[np.float64],
    tokens_per_gas: NDArray[np.float64],
    submits: NDArray[np.float64],
    reward: NDArray[np.float64],
    sure_gas: float,
    verification_gas: float,
    bond: float,
    fits: NDArray[np.bool_],
    static_ok: bool,
    prover_ok: NDArray[np.bool_],
    can_self: NDArray[np.bool_],
    block_value: NDArray[np.float64],
    u_pick: NDArray[np.float64],
    strategy: int,
    beta: float,
) -> tuple[
    NDArray[np.bool_],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.float64],
]:  # pragma: no cover - compiled
    """`prover_market.choose` per run, fused: each option's break-even price (`prover_market.bids`, in the same
    floating-point operations), the bidders, the reserve, the winner (ties: the floor(u_pick x ties)-th tied bidder) and
    the price. Options 0..n-1 are the provers, option n the winner itself; `fits`: the block is proposed and fits
    the provers' capacity; `static_ok`: the bond fits their budget. Returns (self_proved, prover, price,
    break_even, bidders, own break-even price)."""
    runs = timely.size
    n = base_cost.size - 1
    self_proved = np.zeros(runs, dtype=np.bool_)
    prover = np.full(runs, -1, dtype=np.int64)
    price = np.zeros(runs, dtype=np.float64)
    break_even = np.zeros(runs, dtype=np.float64)
    bidders = np.zeros(runs, dtype=np.int64)
    own_price = np.empty(runs, dtype=np.float64)
    offers = np.empty(n, dtype=np.float64)
    bidding = np.zeros(n, dtype=np.bool_)
    inf = np.inf
    for i in range(runs):
        gas = sure_gas * tokens_per_gas[i]
        verify = submits[i] * verification_gas * tokens_per_gas[i]
        for j in range(n + 1):
            success = base_success[j] * timely[i]
            cost = base_cost[j] + (gas + success * verify)
            q = (cost + (1.0 - success) * bond) / success - reward[i] if success > 0 else inf
            if j < n:
                offers[j] = q
            else:
                own_price[i] = q
        own = own_price[i]
        ok = fits[i] and can_self[i] and own <= block_value[i]
        best_failure = inf
        for j in range(n):
            bidding[j] = prover_ok[i, j] and np.isfinite(offers[j]) and fits[i] and static_ok
            if bidding[j] and failure[j] < best_failure:
                best_failure = failure[j]
        if strategy == 1:  # most_reliable: only the most reliable bidders take part
            for j in range(n):
                bidding[j] = bidding[j] and failure[j] <= best_failure
        if ok and strategy != 2:
            reserve = own if own < block_value[i] else block_value[i]
        else:
            reserve = block_value[i]
        lowest = inf
        second = inf
        count = 0
        for j in range(n):
            if bidding[j]:
                count += 1
                q = offers[j]
                if q < lowest:
                    second = lowest
                    lowest = q
                elif q < second:
                    second = q
        bidders[i] = count
        third_wins = lowest <= reserve and not (ok and strategy == 2)
        won = False
        if third_wins:
            ties = 0
            for j in range(n):
                if bidding[j] and offers[j] <= lowest:
                    ties += 1
            if ties > 0:
                nth = min(np.int64(u_pick[i] * ties), ties - 1)
                seen = 0
                for j in range(n):
                    if bidding[j] and offers[j] <= lowest:
                        if seen == nth:
                            prover[i] = j
                            break
                        seen += 1
                won = True
        if won:
            bargain = lowest + beta * (reserve - lowest)
            price[i] = second if second < bargain else bargain
            break_even[i] = offers[prover[i]]
        self_proved[i] = ok and not won
    return self_proved, prover, price, break_even, bidders, own_price


@njit(cache=True)
def _pairwise_block(a: NDArray[np.float64], lo: int, n: int) -> float:  # pragma: no cover - compiled
    """numpy's pairwise summation of a[lo:lo + n] for n <= 128: a plain loop below 8 terms, else eight interleaved
    partial sums combined as ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)), then the remainder."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]  # scalars: no array allocated per block
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        j = lo + i
        r0, r1, r2, r3 = r0 + a[j], r1 + a[j + 1], r2 + a[j + 2], r3 + a[j + 3]
        r4, r5, r6, r7 = r4 + a[j + 4], r5 + a[j + 5], r6 + a[j + 6], r7 + a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def ledger_balanced(
    balances: NDArray[np.float64], supply: NDArray[np.float64]
) -> bool:  # pragma: no cover - compiled
    """`ledger._check`'s test, without its diagnostics: every run's accounts (runs x accounts, C-ordered) add up to
    its supply within 1e-9 x max(1, |supply|) (the sum in numpy's pairwise order; a NaN fails) and none is below
    minus that tolerance."""
    runs, n = balances.shape
    for r in range(runs):
        size = abs(supply[r])
        tolerance = 1e-9 * (1.0 if size <= 1.0 else size)  # numpy's maximum(1.0, size), NaN included
        if not abs(_pairwise_sum(balances[r], 0, n) - supply[r]) <= tolerance:
            return False
        for a in range(n):
            if balances[r, a] < -tolerance:
                return False
    return True


@njit(cache=True)
def _pairwise_sum(a: NDArray[np.float64], lo: int, n: int) -> float:  # pragma: no cover - compiled
    """numpy's pairwise summation of a[lo:lo + n] (`np.add.reduce` over a contiguous axis), operation for
    operation, so a compiled sum equals numpy's to the last bit (tested): blocks of at most 128 terms
    (`_pairwise_block`), above that the sum of two halves (the first a multiple of 8 terms), evaluated here with
    an explicit stack (numba's caching cannot compile a recursive function); added to 0.0, numpy's starting value
    (so terms that are all -0.0 sum to 0.0, as in numpy)."""
    if n <= 128:
        return 0.0 + _pairwise_block(a, lo, n)
    todo_lo = np.empty(128, dtype=np.int64)
    todo_n = np.empty(128, dtype=np.int64)  # -1: add the last two values
    values = np.empty(128)
    top, count = 0, 0
    todo_lo[0], todo_n[0] = lo, n
    top = 1
    while top > 0:
        top -= 1
        start, size = todo_lo[top], todo_n[top]
        if size < 0:
            count -= 1
            values[count - 1] = values[count - 1] + values[count]
        elif size <= 128:
            values[count] = _pairwise_block(a, start, size)
            count += 1
        else:
            half = size // 2
            half -= half % 8
            todo_lo[top], todo_n[top] = 0, -1  # after both halves: left + right
            todo_lo[top + 1], todo_n[top + 1] = start + half, size - half
            todo_lo[top + 2], todo_n[top + 2] = start, half  # popped first
            top += 3
    return 0.0 + values[0]


@njit(cache=True)
def late_value(
    base_rate: float,
    shock_multiplier: float,
    shock_left: NDArray[np.int64],
    seconds: NDArray[np.float64],
    capacity_txs: int,
    txs: NDArray[np.int64],
    pay: NDArray[np.float64],
    burn: NDArray[np.float64],
    includable: NDArray[np.bool_],
    tx_size: float,
    kept_mev_per_tx: float,
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`market.expected_late_value` (runs x len(seconds)), the numpy expression operation for operation: per run,
    the arrival rate (`base_rate` per second, times `shock_multiplier` while a shock lasts), what the producer keeps
    of one more transaction of each bucket ((pay - burn) x tx_size + the kept MEV per transaction, at least 0; 0
    where not includable) sorted best first, and for each time t the arrivals by t spread evenly over the buckets
    (rate t / B each), taken best bucket first up to the spare capacity (capacity_txs - txs, at least 0), times
    their value, summed as numpy sums."""
    runs, buckets = pay.shape
    out = np.empty((runs, seconds.size))
    value = np.empty(buckets)
    terms = np.empty(buckets)
    for i in range(runs):
        rate = base_rate * (shock_multiplier if shock_left[i] > 0 else 1.0)
        spare = float(max(capacity_txs - txs[i], 0))
        for j in range(buckets):  # inserted in order, best first (equal values are interchangeable)
            v = (pay[i, j] - burn[i, j]) * tx_size + kept_mev_per_tx
            if not includable[i, j] or v < 0.0:  # np.maximum(v, 0.0) keeps a NaN
                v = 0.0
            k = j
            while k > 0 and value[k - 1] < v:
                value[k] = value[k - 1]
                k -= 1
            value[k] = v
        for t in range(seconds.size):
            per_bucket = rate * seconds[t] / buckets
            for j in range(buckets):
                left = spare - j * per_bucket
                taken = min(max(left, 0.0), per_bucket)
                terms[j] = taken * value[j]
            out[i, t] = _pairwise_sum(terms, 0, buckets)
    return out


@njit(cache=True)
def block_totals(
    per_bucket: NDArray[np.int64],
    pay: NDArray[np.float64],
    burn: NDArray[np.float64],
    values: NDArray[np.float64],
    tx_size: float,
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]
]:  # pragma: no cover
    """`fees.block_totals` per run of a block with `per_bucket` transactions of each bid bucket (runs x buckets) at
    `pay` and `burn` per mana (runs x buckets) with users' `values` per mana (buckets): (fees paid, fees burned,
    users' surplus, transactions), each float a bucket sum (numpy's pairwise order) times `tx_size` (mana)."""
    runs, buckets = per_bucket.shape
    paid = np.empty(runs)
    burned = np.empty(runs)
    surplus = np.empty(runs)
    txs = np.zeros(runs, dtype=np.int64)
    t_paid = np.empty(buckets)
    t_burned = np.empty(buckets)
    t_surplus = np.empty(buckets)
    for i in range(runs):
        for j in range(buckets):
            n = per_bucket[i, j]
            x = np.float64(n)
            t_paid[j] = x * pay[i, j]
            t_burned[j] = x * burn[i, j]
            t_surplus[j] = x * (values[j] - pay[i, j])
            txs[i] += n
        paid[i] = _pairwise_sum(t_paid, 0, buckets) * tx_size
        burned[i] = _pairwise_sum(t_burned, 0, buckets) * tx_size
        surplus[i] = _pairwise_sum(t_surplus, 0, buckets) * tx_size
    return paid, burned, surplus, txs


@njit(cache=True)
def late_block(
    counts: NDArray[np.int64],
    share: NDArray[np.float64],
    capacity_txs: int,
    block_txs: NDArray[np.int64],
    pay: NDArray[np.float64],
    burn: NDArray[np.float64],
    includable: NDArray[np.bool_],
    values: NDArray[np.float64],
    tx_size: float,
    mev_per_tx: float,
    mev_draw: NDArray[np.float64],
    mev_burn: bool,
    mev_burn_share: float,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
]:  # pragma: no cover - compiled
    """`market.late_inclusions`' transactions by bid bucket (runs x buckets): `share[i]` of each bucket's `counts`
    (rounded down) where includable, the highest bucket first while they fit in the `capacity_txs - block_txs[i]`
    (at least 0) spare transactions (integer arithmetic after the rounding, the float product and floor as
    numpy's); their `block_totals` (fees paid, burned, users' surplus, transactions); the tips (paid - burned); the
    MEV (`mev_per_tx` x transactions x `mev_draw[i]`, in that order) and the MEV burned (`mev_burn_share` of it
    under `mev_burn`, else 0). Returns (by bucket, paid, burned, tips, mev, mev_burned, surplus, transactions)."""
    runs, buckets = counts.shape
    out = np.empty((runs, buckets), dtype=np.int64)
    for i in range(runs):
        spare = max(capacity_txs - block_txs[i], 0)
        above = np.int64(0)  # offered in higher buckets
        for j in range(buckets - 1, -1, -1):
            offered = np.int64(np.floor(counts[i, j] * share[i]) if includable[i, j] else 0)
            room = spare - above
            out[i, j] = min(max(room, 0), offered)
            above += offered
    paid, burned, surplus, txs = block_totals(out, pay, burn, values, tx_size)
    tips = np.empty(runs)
    mev = np.empty(runs)
    mev_burned = np.zeros(runs)
    for i in range(runs):
        tips[i] = paid[i] - burned[i]
        mev[i] = mev_per_tx * np.float64(txs[i]) * mev_draw[i]
        if mev_burn:
            mev_burned[i] = mev[i] * mev_burn_share
    return out, paid, burned, tips, mev, mev_burned, surplus, txs


@njit(cache=True)
def outlook_values(
    value: NDArray[np.float64],
    third_wins: NDArray[np.bool_],
    third_price: NDArray[np.float64],
    available: NDArray[np.float64],
    own_price: NDArray[np.float64],
    on_time: NDArray[np.float64],
    proof_ok: float,
    reveal_ok: float,
    self_prove: float,
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """`participation.block_outlook` per run after its power (tokens), in the numpy code's floating-point
    operations: a third party commits with chance `available` where `third_wins`, and earns value - `third_price`
    (at least 0; NaN stays NaN, as `np.maximum`), else the sequencer proves itself with chance `self_prove` for
    value - `own_price` where that price is finite and at most the value; all times (`proof_ok` x `on_time`) x
    `reveal_ok`, the chance the block finalizes."""
    runs = value.size
    out = np.empty(runs)
    for i in range(runs):
        commits = available[i] if third_wins[i] else 0.0
        finalizes = proof_ok * on_time[i] * reveal_ok
        margin = value[i] - third_price[i]
        third = commits * (margin if margin >= 0.0 or np.isnan(margin) else 0.0)
        own_ok = np.isfinite(own_price[i]) and own_price[i] <= value[i]
        own = (1.0 - commits) * self_prove * (value[i] - own_price[i] if own_ok else 0.0)
        out[i] = finalizes * (third + own)
    return out


@njit(cache=True)
def proposal_sends(
    outlook: NDArray[np.float64], win_chance: NDArray[np.float64], cost: NDArray[np.float64]
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """`participation.proposes` (runs x ranks): whether `outlook[i]` x `win_chance[r]` (tokens) covers the
    proposal's `cost[i]` (tokens; ties send)."""
    runs, ranks = outlook.size, win_chance.size
    out = np.empty((runs, ranks), dtype=np.bool_)
    for i in range(runs):
        for r in range(ranks):
            out[i, r] = outlook[i] * win_chance[r] >= cost[i]
    return out
