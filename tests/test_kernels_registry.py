"""`kernels_registry` against the Python loops of `registry.plan_chunk` it replaced, exactly: the arrivals thinned and
sorted, the registrations (with and without a churn limit) and the exit signals."""

from __future__ import annotations

import numpy as np
import pytest

from aztec_econ.model import kernels_registry


def _churn_slot_python(
    ready: int, r: int, limit: int, blocks_per_day: float, day: np.ndarray, used: np.ndarray
) -> int:
    """`registry._churn_slot` before it was compiled."""
    ready_day = int(ready // blocks_per_day)
    if ready_day > day[r]:
        day[r], used[r] = ready_day, 1
        return ready
    if used[r] < limit:
        used[r] += 1
        return max(ready, int(np.ceil(day[r] * blocks_per_day)))
    day[r], used[r] = day[r] + 1, 1
    return int(np.ceil(day[r] * blocks_per_day))


def _arrivals(
    rng: np.random.Generator, runs: int, most: int, first: int, span: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = rng.integers(0, most + 1, runs).astype(np.int64)
    counts[0] = 0  # a run without arrivals
    times = first + np.floor(rng.random((runs, most)) * span).astype(np.int64)
    return times, counts


@pytest.mark.parametrize("thinned", [False, True])
@pytest.mark.parametrize("most", [0, 1, 25])
def test_sorted_arrivals_are_the_thinned_sorted_rows(thinned: bool, most: int) -> None:
    rng = np.random.default_rng(most + 10 * thinned)
    runs = 6
    times, counts = _arrivals(rng, runs, most, 5_000, 7_200)
    thin = rng.random((runs, most)) if thinned else np.zeros((runs, 0))
    keep = rng.random(runs) if thinned else np.zeros(runs)
    expected = [
        np.sort(times[r, : counts[r]][thin[r, : counts[r]] < keep[r]])
        if thinned
        else np.sort(times[r, : counts[r]])
        for r in range(runs)
    ]
    blocks, offsets = kernels_registry.sorted_arrivals(times, counts, thin, keep, thinned)
    assert offsets.tolist() == np.cumsum([0] + [e.size for e in expected]).tolist()
    for r in range(runs):
        assert blocks[offsets[r] : offsets[r + 1]].tolist() == expected[r].tolist()


@pytest.mark.parametrize("blocks_per_day", [7_200.0, 86_400 / 13], ids=["12 s blocks", "13 s blocks"])
@pytest.mark.parametrize("churn", [0, 1, 3])
def test_registrations_get_the_next_keys_and_their_eligibility(churn: int, blocks_per_day: float) -> None:
    """As the Python loop gave them: the next key indices, registered at the arrival's block, eligible after the
    entry period or, under a churn limit, on the first day with room (FIFO), the churn counters carried over; days
    of a fractional number of blocks (13 s blocks) floored and ceiled as Python's `int // float` and `np.ceil`."""
    rng = np.random.default_rng(churn)
    runs, capacity, entry = 5, 200, 3_600
    times, counts = _arrivals(rng, runs, 40, 10_000, 14_400)
    blocks, offsets = kernels_registry.sorted_arrivals(
        times, counts, np.zeros((runs, 0)), np.zeros(runs), False
    )
    n_keys = rng.integers(0, 100, runs).astype(np.int64)
    registered = np.full((runs, capacity), 1 << 60, dtype=np.int64)
    eligible = registered.copy()
    day = rng.integers(-1, 3, runs).astype(np.int64)
    used = rng.integers(0, 3, runs).astype(np.int64)
    want = [a.copy() for a in (registered, eligible, n_keys, day, used)]
    for r in range(runs):  # the loop of `plan_chunk` before it was compiled
        times_r = blocks[offsets[r] : offsets[r + 1]]
        if times_r.size == 0:
            continue
        lo, hi = int(want[2][r]), int(want[2][r]) + times_r.size
        want[0][r, lo:hi] = times_r
        ready = times_r + entry
        if churn == 0:
            want[1][r, lo:hi] = ready
        else:
            want[1][r, lo:hi] = [
                _churn_slot_python(int(t), r, churn, blocks_per_day, want[3], want[4]) for t in ready
            ]
        want[2][r] = hi
    kernels_registry.register_arrivals(
        blocks, offsets, registered, eligible, n_keys, entry, churn, blocks_per_day, day, used
    )
    for got, expected in zip((registered, eligible, n_keys, day, used), want, strict=True):
        np.testing.assert_array_equal(got, expected)
    if churn:
        assert (
            eligible[registered < (1 << 60)] > registered[registered < (1 << 60)] + entry
        ).any()  # it waited


def test_exit_signals_go_to_the_picked_eligible_key() -> None:
    """As the Python loop gave them: each exit, in block order, to the `int(pick x n)`-th of the keys eligible and
    not exiting at its block, released after the delay; exits without such a key dropped (a run whose keys are
    all queued)."""
    rng = np.random.default_rng(5)
    runs, capacity, delay = 6, 300, 7_200
    n_keys = rng.integers(50, capacity, runs).astype(np.int64)
    eligible = np.full((runs, capacity), 1 << 60, dtype=np.int64)
    exit_signal = eligible.copy()
    for r in range(runs):
        eligible[r, : n_keys[r]] = np.sort(rng.integers(0, 20_000, n_keys[r]))
        gone = rng.random(n_keys[r]) < 0.2
        exit_signal[r, : n_keys[r]][gone] = rng.integers(0, 20_000, gone.sum())
    eligible[1, : n_keys[1]] = 1 << 40  # nothing eligible: every exit of run 1 is dropped
    release = exit_signal.copy()
    before = exit_signal.copy()
    times, counts = _arrivals(rng, runs, 30, 15_000, 7_200)
    blocks, offsets = kernels_registry.sorted_arrivals(
        times, counts, np.zeros((runs, 0)), np.zeros(runs), False
    )
    most = int(np.diff(offsets).max(initial=0))
    pick = rng.random((runs, most))
    want_signal, want_release = exit_signal.copy(), release.copy()
    want_dropped = np.zeros(runs, dtype=np.int64)
    for r in range(runs):  # the loop of `plan_chunk` before it was compiled
        for i, t in enumerate(blocks[offsets[r] : offsets[r + 1]]):
            n = int(n_keys[r])
            candidates = np.flatnonzero((eligible[r, :n] <= t) & (want_signal[r, :n] > t))
            if candidates.size == 0:
                want_dropped[r] += 1
                continue
            key = candidates[int(pick[r, i] * candidates.size)]
            want_signal[r, key] = t
            want_release[r, key] = t + delay
    dropped = kernels_registry.signal_exits(
        blocks, offsets, pick, eligible, exit_signal, release, n_keys, delay
    )
    np.testing.assert_array_equal(dropped, want_dropped)
    np.testing.assert_array_equal(exit_signal, want_signal)
    np.testing.assert_array_equal(release, want_release)
    assert want_dropped[1] == counts[1] > 0  # run 1 dropped every exit
    assert (exit_signal != before).sum() > 50  # the others signalled


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_new_keys_get_the_owners_the_numpy_loop_gave_them(share: float) -> None:
    """`assign_new_owners` as `operators.assign_owners` computed it in numpy, one key index at a time over the runs:
    runs that start and stop at different keys, new operators (`share`), a run whose operators hold no key yet
    (numpy's argmax over no True: operator 0)."""
    rng = np.random.default_rng(int(share * 10))
    runs, capacity, cap = 5, 60, 30
    assigned = rng.integers(10, 20, runs).astype(np.int64)
    n_keys = assigned + rng.integers(0, 25, runs)
    n_keys[1] = assigned[1]  # nothing new
    keys_held = np.zeros((runs, cap), dtype=np.int64)
    keys_held[:, :4] = rng.integers(0, 6, (runs, 4))
    keys_held[2] = 0  # no key held yet
    n_ops = np.full(runs, 4, dtype=np.int64)
    owner = np.full((runs, capacity), -1, dtype=np.int32)
    first, end = int(assigned.min()), int(n_keys.max())
    u = rng.random((end - first, runs, 2))
    want_owner, want_held, want_ops = owner.copy(), keys_held.copy(), n_ops.copy()
    rows = np.arange(runs)
    for key in range(first, end):  # `assign_owners` before it was compiled
        todo = (assigned <= key) & (key < n_keys)
        if not todo.any():
            continue
        fresh = todo & (u[key - first, :, 0] < share)
        cum = np.cumsum(want_held, axis=1)
        existing = np.argmax(cum > (u[key - first, :, 1] * cum[:, -1])[:, None], axis=1)
        chosen = np.where(fresh, want_ops, existing)
        want_owner[todo, key] = chosen[todo]
        want_held[rows[todo], chosen[todo]] += 1
        want_ops = want_ops + fresh
    kernels_registry.assign_new_owners(u, first, assigned, n_keys, share, owner, keys_held, n_ops)
    np.testing.assert_array_equal(owner, want_owner)
    np.testing.assert_array_equal(keys_held, want_held)
    np.testing.assert_array_equal(n_ops, want_ops)
    assert (owner >= 0).sum() == (n_keys - assigned).sum() > 0


def test_an_operator_beyond_the_capacity_is_refused() -> None:
    """The kernel checks no bounds: a new operator that would not fit `keys_held` stops it with the run's index
    (`operators.assign_owners` raises it), leaving the runs before it assigned."""
    assigned, n_keys = np.array([0, 0], dtype=np.int64), np.array([2, 3], dtype=np.int64)
    owner = np.full((2, 4), -1, dtype=np.int32)
    keys_held = np.zeros((2, 3), dtype=np.int64)
    n_ops = np.array([0, 1], dtype=np.int64)
    u = np.zeros((3, 2, 2))  # every key a new operator
    assert kernels_registry.assign_new_owners(u, 0, assigned, n_keys, 0.5, owner, keys_held, n_ops) == 1
    assert owner[0].tolist() == [0, 1, -1, -1] and n_ops[0] == 2
