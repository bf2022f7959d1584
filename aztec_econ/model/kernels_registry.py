"""Compiled kernels of the keys' chunk (the registry's plan, `registry.plan_chunk`, and the new keys' operators,
`operators.assign_owners`), as `kernels` (numba, `cache=True`; each computes exactly what the Python loops it
replaced computed, tested against them): the chunk's arrivals per run, thinned and sorted; the registrations' times
and eligibility (FIFO activation under the churn limit); the exit signals, each given to a uniformly picked key
eligible and not exiting at its block; the owners of the new keys. The draws stay in `rng`.

The chunk's plan ran as Python loops over the runs and their arrivals (2.7 ms a chunk of 144 slots for 100 runs and
1,000 keys; compiled 1.2 ms), the owners as numpy passes over the runs for every new key index.

Self-contained: none calls a kernel of another module (numba's cache does not notice a change in another file).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def sorted_arrivals(
    times: NDArray[np.int64],
    counts: NDArray[np.int64],
    thin: NDArray[np.float64],
    keep: NDArray[np.float64],
    thinned: bool,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """Each run's arrival blocks (`times[r, :counts[r]]`), those with `thin[r, i] < keep[r]` where `thinned`,
    sorted, one run after another: (the blocks, the offsets of each run's: runs + 1)."""
    runs = counts.size
    offsets = np.zeros(runs + 1, dtype=np.int64)
    out = np.empty(max(int(counts.sum()), 0), dtype=np.int64)
    at = 0
    for r in range(runs):
        start = at
        for i in range(counts[r]):
            if not thinned or thin[r, i] < keep[r]:
                out[at] = times[r, i]
                at += 1
        out[start:at] = np.sort(out[start:at])
        offsets[r + 1] = at
    return out[:at].copy(), offsets


@njit(cache=True)
def _churn_slot(
    ready: np.int64,
    r: int,
    limit: int,
    blocks_per_day: float,
    day: NDArray[np.int64],
    used: NDArray[np.int64],
) -> np.int64:  # pragma: no cover - compiled
    """FIFO activation under a limit of `limit` activations per day: the first block >= ready with room left."""
    ready_day = np.int64(
        np.float64(ready) // blocks_per_day
    )  # Python's float floor division, as `int // float`
    if ready_day > day[r]:
        day[r], used[r] = ready_day, 1
        return ready
    if used[r] < limit:
        used[r] += 1
        return max(ready, np.int64(math.ceil(day[r] * blocks_per_day)))
    day[r], used[r] = day[r] + 1, 1
    return np.int64(math.ceil(day[r] * blocks_per_day))


@njit(cache=True)
def register_arrivals(
    blocks: NDArray[np.int64],
    offsets: NDArray[np.int64],
    registered: NDArray[np.int64],
    eligible: NDArray[np.int64],
    n_keys: NDArray[np.int64],
    entry: int,
    churn: int,
    blocks_per_day: float,
    churn_day: NDArray[np.int64],
    churn_used: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """Give each run's registrations (`blocks[offsets[r]:offsets[r + 1]]`, sorted) the next key indices from
    `n_keys[r]`: registered at their block, eligible `entry` blocks later (under a churn limit of `churn` a day,
    when it is not 0: the first block of the first day with room, FIFO). Writes `registered`, `eligible`,
    `n_keys` and the churn counters in place; the caller checks the keys fit first."""
    for r in range(n_keys.size):
        lo = n_keys[r]
        for i in range(offsets[r], offsets[r + 1]):
            k = lo + i - offsets[r]
            registered[r, k] = blocks[i]
            ready = blocks[i] + entry
            if churn == 0:
                eligible[r, k] = ready
            else:
                eligible[r, k] = _churn_slot(ready, r, churn, blocks_per_day, churn_day, churn_used)
        n_keys[r] = lo + offsets[r + 1] - offsets[r]


@njit(cache=True)
def signal_exits(
    blocks: NDArray[np.int64],
    offsets: NDArray[np.int64],
    pick: NDArray[np.float64],
    eligible: NDArray[np.int64],
    exit_signal: NDArray[np.int64],
    release: NDArray[np.int64],
    n_keys: NDArray[np.int64],
    delay: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """Each run's exit signals in block order (`blocks[offsets[r]:offsets[r + 1]]`): the `int(pick x n)`-th of
    the n keys (of its first `n_keys[r]`) eligible at the block and not yet exiting signals exit there, its stake
    released `delay` blocks later (`exit_signal`, `release` written in place); an exit with no such key is dropped.
    Returns the dropped exits per run."""
    runs = n_keys.size
    dropped = np.zeros(runs, dtype=np.int64)
    for r in range(runs):
        keys = n_keys[r]
        for i in range(offsets[r], offsets[r + 1]):
            t = blocks[i]
            candidates = 0
            for k in range(keys):
                if eligible[r, k] <= t and exit_signal[r, k] > t:
                    candidates += 1
            if candidates == 0:
                dropped[r] += 1
                continue
            target = int(pick[r, i - offsets[r]] * candidates)
            seen = 0
            for k in range(keys):
                if eligible[r, k] <= t and exit_signal[r, k] > t:
                    if seen == target:
                        exit_signal[r, k] = t
                        release[r, k] = t + delay
                        break
                    seen += 1
    return dropped


@njit(cache=True)
def assign_new_owners(
    u: NDArray[np.float64],
    first_key: int,
    assigned: NDArray[np.int64],
    n_keys: NDArray[np.int64],
    share: float,
    owner: NDArray[np.int32],
    keys_held: NDArray[np.int64],
    n_operators: NDArray[np.int64],
) -> int:  # pragma: no cover - compiled
    """`operators.assign_owners`: the owners of each run's keys `assigned[r]`..`n_keys[r] - 1`, one key at a time
    in registration order, from the key's uniforms `u[key - first_key, r]`: a new operator where the first is below
    `share`, else the first operator whose cumulative keys held exceed the second x all keys held (numpy's
    `argmax(cumsum > u x total)`, 0 where none does). Writes `owner`, `keys_held` and `n_operators` in place.
    Returns -1, or the first run whose new operator would not fit `keys_held` (it stops there)."""
    for r in range(n_keys.size):
        for key in range(assigned[r], n_keys[r]):  # first_key <= assigned[r]
            fresh, pick = u[key - first_key, r, 0] < share, u[key - first_key, r, 1]
            if fresh:
                chosen = n_operators[r]
                if chosen >= keys_held.shape[1]:
                    return r
            else:
                total = np.int64(0)
                for j in range(keys_held.shape[1]):
                    total += keys_held[r, j]
                bound = pick * np.float64(total)
                chosen = np.int64(0)
                held = np.int64(0)
                for j in range(keys_held.shape[1]):
                    held += keys_held[r, j]
                    if np.float64(held) > bound:
                        chosen = np.int64(j)
                        break
            owner[r, key] = chosen
            keys_held[r, chosen] += 1
            if fresh:
                n_operators[r] += 1
    return -1
