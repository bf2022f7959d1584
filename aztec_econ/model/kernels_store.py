"""Compiled checks of the output column store (`aztec_econ.column_store`): whether a block is one value, whether
its floats come back unchanged through a narrower type, and where its values change. Each stops at the first
element that decides it.

Imported inside `column_store`'s functions, as `kernels.py` explains: reading results should not pay numba's
start-up before it stores or narrows a block.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def all_same(words: NDArray[np.integer]) -> bool:  # pragma: no cover - compiled
    """Whether every element of a flat array equals the first (`column_store`'s constant blocks; given the bits of
    floats as integers, so -0.0 differs from 0.0). Stops at the first difference."""
    for i in range(1, words.shape[0]):  # noqa: SIM110 - numba compiles no all() over a generator
        if words[i] != words[0]:
            return False
    return True


@njit(cache=True)
def fits_float32(values: NDArray[np.float64]) -> bool:  # pragma: no cover - compiled
    """Whether every value of a flat float64 array comes back unchanged through float32 (round to nearest, as
    numpy's `astype`; the sign of zero and infinities survive it, NaN is refused). Stops at the first that does
    not."""
    for x in values:  # noqa: SIM110 - numba compiles no all() over a generator
        if np.float64(np.float32(x)) != x:
            return False
    return True


FLOAT16_MAX = float(np.finfo(np.float16).max)
"""The largest finite float16 (65504)."""


@njit(cache=True)
def within_float16_range(values: NDArray[np.float64]) -> bool:  # pragma: no cover - compiled
    """Whether no finite value of a flat float64 array exceeds float16's largest, `FLOAT16_MAX`, in magnitude (such a
    value cannot come back unchanged through float16; infinities can). Stops at the first that does."""
    for x in values:  # noqa: SIM110 - numba compiles no all() over a generator
        if abs(x) > FLOAT16_MAX and not np.isinf(x):
            return False
    return True


@njit(cache=True)
def change_positions(
    words: NDArray[np.integer], limit: int
) -> NDArray[np.int32]:  # pragma: no cover - compiled
    """The flat positions (row-major) of a block's elements (runs x slots; floats given as their bits) that differ
    from the element before them in their row, every row's first included, as `np.flatnonzero` of that mask
    (`column_store._changes`); instead, as soon as there are `limit` (>= 1) of them, the one position -1 (the block
    is then no larger as it is)."""
    runs, slots = words.shape
    out = np.empty(max(limit, 1), dtype=np.int32)
    n = 0
    for i in range(runs):
        for j in range(slots):
            if j == 0 or words[i, j] != words[i, j - 1]:
                out[n] = i * slots + j
                n += 1
                if n >= limit:
                    return np.full(1, -1, dtype=np.int32)
    return out[:n].copy()
