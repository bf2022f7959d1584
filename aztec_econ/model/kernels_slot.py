"""More compiled kernels, as `kernels` (numba, `cache=True`; imported as `kernels` says; each computes exactly
what the numpy code it replaced computes, tested against it): the slot's protocol steps: landings, the election's
outcome, the keys of operators that are down, the reveal choice, the backup race and its
outcome, the L1 block times, the ledger's postings, the confirmation bins, the registry chunk's counts and
eligibility, the operators' holding changes and crossings. The
economy's kernels are in `kernels_economy`.

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


@njit(cache=True, inline="always")
def _chunk_slot(t: int, first: int, length: int, n_slots: int) -> int:  # pragma: no cover - compiled
    """The chunk's first slot starting at or after L1 block `t`, clipped to 0..n_slots: min(max(ceil((t - first) /
    length), 0), n_slots), without the division for the blocks before the chunk or after it (most keys)."""
    if t <= first:
        return 0
    if t > first + (n_slots - 1) * length:
        return n_slots
    return min(-(-(t - first) // length), n_slots)


@njit(cache=True)
def holding_changes(
    owner: NDArray[np.int32],
    eligible: NDArray[np.int64],
    exit_signal: NDArray[np.int64],
    m: int,
    first: int,
    length: int,
    n_slots: int,
    n_ops: int,
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int32], NDArray[np.int64]]:  # pragma: no cover
    """`operators.chunk_holdings` in two passes over the keys 0..m-1 of every run (integer arithmetic): a key
    counts for its operator (owner, -1 read as 0) from the chunk's slot at or after its eligibility until the one at
    or after its exit signal, both measured from L1 block `first` in slots of `length` blocks (clipped to 0..n_slots).
    Returns the holdings at slot 0 (runs x n_ops), and the later changes (flattened cell run x n_ops + operator,
    sign) ordered by slot (counting sort), with `offsets[t]` the first change of slot t (n_slots + 1 entries)."""
    runs = owner.shape[0]
    start = np.zeros((runs, n_ops), dtype=np.int32)
    per_slot = np.zeros(n_slots + 1, dtype=np.int64)
    for r in range(runs):
        for k in range(m):
            o = max(owner[r, k], 0)
            for which in range(2):
                t = eligible[r, k] if which == 0 else exit_signal[r, k]
                at = _chunk_slot(t, first, length, n_slots)
                if at == 0:
                    start[r, o] += 1 if which == 0 else -1
                elif at < n_slots:
                    per_slot[at] += 1
    offsets = np.zeros(n_slots + 1, dtype=np.int64)
    total = 0
    for t in range(n_slots + 1):
        offsets[t] = total
        if t < n_slots:
            total += per_slot[t]
    cells = np.empty(total, dtype=np.int64)
    signs = np.empty(total, dtype=np.int32)
    fill = offsets.copy()
    for r in range(runs):
        for k in range(m):
            o = max(owner[r, k], 0)
            for which in range(2):
                t = eligible[r, k] if which == 0 else exit_signal[r, k]
                at = _chunk_slot(t, first, length, n_slots)
                if 0 < at < n_slots:
                    cells[fill[at]] = r * n_ops + o
                    signs[fill[at]] = 1 if which == 0 else -1
                    fill[at] += 1
    return start, cells, signs, offsets


@njit(cache=True)
def holding_crossings(
    start: NDArray[np.int32], cells: NDArray[np.int64], signs: NDArray[np.int32], lo: int
) -> tuple[NDArray[np.int64], NDArray[np.int8]]:  # pragma: no cover - compiled
    """Once per registry chunk, for `operator_counts`: the operators holding an eligible key at the chunk's start
    (`start`, runs x operators) per run, and what each change `cells[c]` (c >= `lo`, applied in order, `signs` +1 or
    -1) does to that count: +1 its operator's holding rises above 0, -1 it falls to 0 or below, else 0 (0 before
    `lo`)."""
    runs, n = start.shape
    held = start.copy()
    flat = held.reshape(-1)
    active = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        for j in range(n):
            if held[i, j] > 0:
                active[i] += 1
    crossing = np.zeros(cells.size, dtype=np.int8)
    for c in range(lo, cells.size):
        before = flat[cells[c]] > 0
        flat[cells[c]] += signs[c]
        after = flat[cells[c]] > 0
        crossing[c] = np.int8(after) - np.int8(before)
    return active, crossing


@njit(cache=True)
def operator_counts(
    start: NDArray[np.int32],
    cells: NDArray[np.int64],
    signs: NDArray[np.int32],
    crossing: NDArray[np.int8],
    active_start: NDArray[np.int64],
    lo: int,
    hi: int,
    down: NDArray[np.bool_],
    n_operators: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`operators.step_operators`' counts per run (integer arithmetic), from the eligible keys of each operator at
    the chunk's start (`start`, runs x operators) and the chunk's changes `cells[lo:hi]` (flat cells, `signs` +1 or
    -1; `crossing` and `active_start` from `holding_crossings`): the eligible keys of operators that are `down` (runs
    x at least as many operators), the operators holding any, and the operators down (of those created). Outages are
    rare, so the keys down start from the down operators' holdings at the chunk's start and add the changes that land
    on a down operator; the operators holding a key add each change's crossing. No copy of the holdings is made.
    `down` is read for each run's `n_operators` only: operators not yet created are up (`outage_step` and
    `genesis_operators` leave them so), and `down` is as wide as the operators there can ever be (a year of the
    baseline: 1,163, against 200-300 created; reading them all was 5% of the year). The counts over the operators
    add the flags as 0 or 1, without a branch: the loops vectorize (measured 2026-12-08: 13 -> 6.3 us a call for
    100 runs of a simulation)."""
    runs, n = start.shape
    keys_down = np.zeros(runs, dtype=np.int64)
    active = active_start.copy()
    operators_down = np.zeros(runs, dtype=np.int64)
    for i in range(runs):
        created = min(n_operators[i], down.shape[1])
        held = min(created, n)  # operators with holdings at the chunk's start
        count = np.int64(0)
        keys = np.int64(0)
        for j in range(held):
            flag = np.int64(down[i, j])
            count += flag
            keys += flag * np.int64(start[i, j])
        for j in range(held, created):
            count += np.int64(down[i, j])
        operators_down[i] = count
        keys_down[i] = keys
    for c in range(lo, hi):
        i = cells[c] // n
        j = cells[c] - i * n
        active[i] += crossing[c]
        if down[i, j]:
            keys_down[i] += signs[c]
    return keys_down, active, operators_down


@njit(cache=True)
def backup_landing(
    window: NDArray[np.float64],
    done: NDArray[np.float64],
    ready_u: NDArray[np.float64],
    ready_probability: float,
    worth_it: NDArray[np.bool_],
    opened: NDArray[np.bool_],
    open_blocks: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """`backup.step_backup`'s race per run: a builder races where backup mode `opened`, getting ready pays
    (`worth_it`) and its `ready_u` uniform is below `ready_probability`; its submission lands in the first block of
    `window` (their build times, s) built at or after it is `done` (s; runs x builders; +inf for a builder that does
    not race) that includes it (`open_blocks`); returns the first landing block (len(window[i]): none) and its
    builder, the one done first (lowest index on ties; -1: none)."""
    runs, blocks = window.shape
    best = np.full(runs, blocks, dtype=np.int64)
    builder = np.full(runs, -1, dtype=np.int64)
    for i in range(runs):
        lowest = np.inf
        for b in range(done.shape[1]):
            races = opened[i] and worth_it[i] and ready_u[i, b] < ready_probability
            at = done[i, b] if races else np.inf
            land = blocks
            for j in range(blocks):
                if window[i, j] >= at and open_blocks[i, j]:
                    land = j
                    break
            if land < best[i] or (land == best[i] and land < blocks and at < lowest):
                best[i], builder[i], lowest = land, b, at
    return best, builder


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
def confirmation_offsets(
    times: NDArray[np.float64], happened: NDArray[np.bool_], block_seconds: float, last: int
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """`confirmation.slot_offsets`' offsets (slots x runs x channels), in its floating-point operations: where the
    channel's event `happened`, the L1 slot of its block's time `times` (seconds from the slot's first block),
    ceil(times / block_seconds - 1e-9), at most `last`; -1 where it did not."""
    out = np.empty(times.shape, dtype=np.int64)
    slots, runs, channels = times.shape
    for t in range(slots):
        for r in range(runs):
            for c in range(channels):
                if happened[t, r, c]:
                    offset = np.ceil(times[t, r, c] / block_seconds - 1e-9)
                    out[t, r, c] = np.int64(offset if offset < last else last)
                else:
                    out[t, r, c] = -1
    return out


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


@njit(cache=True)
def _count_times(
    times: NDArray[np.int64],
    r: int,
    first: int,
    length: int,
    upto: NDArray[np.int64],
    within: NDArray[np.int64] | None,
) -> None:  # pragma: no cover - compiled
    """`chunk_counts` for one kind of time of run `r`: each time adds 1 to `upto` at the first slot whose first L1
    block it is at or before (cumulated later) and, with `within`, to the slot it falls in."""
    n_slots = upto.shape[0]
    last_start = first + (n_slots - 1) * length
    end = first + n_slots * length
    for k in range(times.shape[1]):
        t = times[r, k]
        if t <= last_start:
            upto[0 if t <= first else (t - first + length - 1) // length] += 1
        if within is not None and first <= t < end:
            within[(t - first) // length] += 1


@njit(cache=True)
def chunk_eligibility(
    eligible: NDArray[np.int64], exit_signal: NDArray[np.int64], first: int, last: int
) -> NDArray[np.int8]:  # pragma: no cover - compiled
    """Once per registry chunk, for the election's walk (`kernels.top_eligible_walk`): whether each key (runs x key
    capacity) is eligible (`eligible <= block < exit_signal`) at every slot's first L1 block of the chunk, from
    `first` to `last` (1), at none of them (0), or at some (2: the walk reads the key's times). One byte a key
    instead of two 8-byte times: the walk's random reads stay in cache."""
    runs, cap = eligible.shape
    status = np.empty((runs, cap), dtype=np.int8)
    for i in range(runs):
        for j in range(cap):
            e, x = eligible[i, j], exit_signal[i, j]
            if e <= first and last < x:
                status[i, j] = 1
            elif x <= first or last < e or x <= e:
                status[i, j] = 0
            else:
                status[i, j] = 2
    return status


@njit(cache=True)
def chunk_counts(
    registered: NDArray[np.int64],
    eligible: NDArray[np.int64],
    exit_signal: NDArray[np.int64],
    release: NDArray[np.int64],
    first: int,
    length: int,
    n_slots: int,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]:  # pragma: no cover - compiled
    """`registry.plan_chunk`'s per-slot figures (runs x n_slots, integer arithmetic; the keys' L1 block times runs x
    keys) in one pass over each kind of time: at each slot's first L1 block b_j = first + j x length, the keys
    registered and not yet eligible (queued), eligible without an exit signal (active) and signalled and not yet
    released (exiting), each a difference of the times <= b_j; and within each slot [b_j, b_j + length) the
    registrations, exit signals and releases."""
    runs = registered.shape[0]
    n = max(n_slots, 0)
    upto = np.zeros((4, runs, n), dtype=np.int64)  # registered, eligible, exit signal, release: times <= b_j
    within = np.zeros((3, runs, n), dtype=np.int64)  # registrations, exit signals, releases
    for r in range(runs if n > 0 else 0):
        _count_times(registered, r, first, length, upto[0, r], within[0, r])
        _count_times(eligible, r, first, length, upto[1, r], None)
        _count_times(exit_signal, r, first, length, upto[2, r], within[1, r])
        _count_times(release, r, first, length, upto[3, r], within[2, r])
        for a in range(4):
            for j in range(1, n):
                upto[a, r, j] += upto[a, r, j - 1]
    return upto[0] - upto[1], upto[1] - upto[2], upto[2] - upto[3], within[0], within[1], within[2]
