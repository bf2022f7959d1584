"""Counter-based random numbers: every draw is a pure function of (seed, run, stream, counter, index).

Why not `numpy.random.Generator` objects: a generator's output depends on how many draws came before, so results would
depend on the order of computation and on how runs are batched or split across workers. Here a draw is a hash of its
coordinates (SplitMix64 finaliser, a well-tested 64-bit mixer), so:

- a run's results depend only on the parameters (seed included) and the run's global index, never on which other runs
  share its batch, the executor or the worker count;
- adding a new kind of draw (a new `Stream`) never shifts the draws of existing ones, so variants of the model
  compared under one seed see the same randomness where they share a mechanism.

Source: assumption (a modelling device, not protocol behaviour).
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from aztec_econ.model.splitmix import GOLDEN, MIX2

U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]

_GOLDEN, _MIX2 = GOLDEN, MIX2
_MASK = (1 << 64) - 1
_TO_UNIT = 1.0 / float(1 << 53)
_U64 = np.dtype(np.uint64)


class Stream(IntEnum):
    """Independent families of draws. Append new members; never renumber (it would change every result)."""

    SLOT = 1  # per-slot behaviour draws (offline keys, prover availability, failures, ...): see model.draws
    RANDAO = 2  # the RANDAO value of each L1 block
    REGISTRATIONS = 3  # registration arrivals (per planning chunk)
    EXITS = 4  # exit-signal arrivals and who exits (per planning chunk)
    ATTACKER = 5  # which initial keys the attacker owns
    L1_PROPOSER = 6  # whether the attacker proposes each L1 block
    RANDAO_ALT = 7  # RANDAO values the attacker's withholding can produce instead of the published one
    CENSORSHIP = 8  # the censoring-builder Markov chain (per planning chunk)
    GOVERNANCE = 9  # which keys support an upgrade
    DEMAND = 10  # transaction arrivals, demand shocks and MEV (per slot; independent of the fee mechanism)
    L1_PRICES = 11  # L1 gas and blob price shocks (per slot)
    L1_SLOTS = 12  # which L1 slots are empty (per L2 slot, one uniform per L1 block)
    OUTAGES = 13  # operator outages: one uniform per operator per slot (counter: slot + 1; 0 at genesis)
    OPERATOR_ENTRY = 14  # which operator registers each new key (counter: the key's index)
    TOKEN_PRICE = 15  # the token price's GBM shocks (per slot)


def mix64(x: U64) -> U64:
    """SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche (a new array of x's shape; compiled:
    `kernels.mix64_flat`: 64-bit unsigned arithmetic, wrapping)."""
    from aztec_econ.model.kernels import mix64_flat

    if not (isinstance(x, np.ndarray) and x.dtype == _U64 and x.flags.c_contiguous):
        x = np.ascontiguousarray(x, dtype=np.uint64)
    return mix64_flat(x.reshape(-1)).reshape(x.shape)


def run_keys(seed: int, runs: NDArray[np.int64]) -> U64:
    """One 64-bit key per run, from the root seed and the run's global index."""
    base = mix64(np.array([seed], dtype=np.uint64))
    return mix64(base ^ mix64((runs.astype(np.uint64) + np.uint64(1)) * _GOLDEN))


_STREAM_WORDS = {stream: np.uint64((int(stream) * 0x9E3779B97F4A7C15) & _MASK) for stream in Stream}
"""Each stream's word, stream x golden ratio modulo 2^64 (`stream_keys` mixes it into the run's key)."""


def stream_keys(keys: U64, stream: Stream, counter: int) -> U64:
    """Per-run keys for one (stream, counter) pair, e.g. (SLOT, slot index) or (RANDAO, L1 block): mix64(mix64(key ^
    stream word) + counter x MIX2), a negative counter taken modulo 2^64; compiled (`kernels.stream_words`; the
    per-run keys of a simulation, one-dimensional uint64 already, go to it as they are)."""
    import aztec_econ.model.kernels as kernels  # the module: a third of a from-import's time, every slot

    counter_word = np.uint64(int(counter) & _MASK)
    if keys.ndim == 1 and keys.dtype == np.uint64 and keys.flags.c_contiguous:
        flat: U64 = kernels.stream_words(keys, _STREAM_WORDS[stream], counter_word)
        return flat
    k = np.ascontiguousarray(keys, dtype=np.uint64)
    return kernels.stream_words(k.reshape(-1), _STREAM_WORDS[stream], counter_word).reshape(k.shape)


def stream_keys_grid(keys: U64, stream: Stream, counters: NDArray[np.int64]) -> U64:
    """`stream_keys` for many counters at once: counters of shape (n,) or (runs, n) give keys of shape (runs, n).

    Entry [r, i] equals `stream_keys(keys[r:r+1], stream, counter[r, i])`.
    """
    stream_word = np.uint64((int(stream) * 0x9E3779B97F4A7C15) & _MASK)
    c = np.asarray(counters).astype(np.uint64)
    if c.ndim == 1:
        c = c[None, :]
    return mix64(mix64(keys ^ stream_word)[:, None] + c * _MIX2)


def bits(base: U64, n: int, offset: int = 0) -> U64:
    """n 64-bit words per run from per-run `base` keys: shape (runs, n)."""
    return mix64(base[:, None] + words_for(n, offset)[None, :])


@lru_cache(maxsize=256)
def words_for(n: int, offset: int = 0) -> U64:
    """The per-index words `bits` adds to each run's key: (offset + j + 1) x golden ratio, j < n. Kept once made (a
    slot asks for the same few every time) and read-only, since callers share it."""
    words = (np.arange(offset, offset + n, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    words.setflags(write=False)
    return words


def unit_bits(base: U64, n: int, offset: int = 0) -> F64:
    """`to_unit(bits(base, n, offset))` in one compiled pass (`kernels.unit_words`): uniforms of shape (runs, n)."""
    from aztec_econ.model.kernels import unit_words

    if not (base.dtype == np.uint64 and base.flags.c_contiguous):
        base = np.ascontiguousarray(base, dtype=np.uint64)
    return unit_words(base, words_for(n, offset))


def to_unit(words: U64) -> F64:
    """Map 64-bit words to uniforms in [0, 1) with 53 bits of precision."""
    return (words >> np.uint64(11)).astype(np.float64) * _TO_UNIT


def uniforms(keys: U64, stream: Stream, counter: int, n: int, offset: int = 0) -> F64:
    """Uniforms in [0, 1), shape (runs, n), for (stream, counter): `unit_bits(stream_keys(keys, stream, counter), n,
    offset)`."""
    return uniforms_of(keys, stream, counter, words_for(n, offset))


def uniforms_of(keys: U64, stream: Stream, counter: int, words: U64) -> F64:
    """Uniforms in [0, 1), shape (runs, len(words)), for (stream, counter) and the per-index `words` (as `words_for`
    makes them): `to_unit(mix64(stream_keys(keys, stream, counter)[:, None] + words[None, :]))`, in one compiled
    pass (`kernels.stream_uniforms`) for one-dimensional keys."""
    import aztec_econ.model.kernels as kernels  # the module: a third of a from-import's time, every slot

    if not (keys.ndim == 1 and keys.dtype == _U64 and keys.flags.c_contiguous):
        return kernels.unit_words(stream_keys(keys, stream, counter).reshape(-1), words)
    return kernels.stream_uniforms(keys, _STREAM_WORDS[stream], np.uint64(int(counter) & _MASK), words)


def normal_quantiles(u: F64, low: float) -> F64:
    """Standard normal quantiles of the uniforms `u`, kept within [`low`, 1 - 1e-16] so they stay finite:
    `scipy.special.ndtri(np.clip(u, low, 1 - 1e-16))`, the bounds applied by `np.maximum` and `np.minimum` (the
    same values; `np.clip`'s Python wrapper costs about 3 us a call)."""
    return ndtri(np.minimum(np.maximum(u, low), _BELOW_ONE))


_BELOW_ONE = 1 - 1e-16


def poisson(u: F64, lam: float) -> NDArray[np.int64]:
    """Poisson(lam) variates by inversion of the uniforms `u` (any shape); exact for lam <= 30.

    Larger rates use `poisson_sum` (a sum of Poisson variates is Poisson).
    """
    if not 0 <= lam <= 30:
        raise ValueError(f"inversion needs 0 <= lam <= 30, got {lam}")
    k = np.zeros(u.shape, dtype=np.int64)
    if lam == 0:
        return k
    p = np.full(u.shape, np.exp(-lam))
    cdf = p.copy()
    active = u >= cdf
    step = 0
    while active.any() and step < 400:  # the tail beyond 400 has probability far below 2**-53
        step += 1
        k[active] += 1
        p = p * lam / step
        cdf = cdf + p
        active &= u >= cdf
    return k


def poisson_pieces(lam: float) -> int:
    """How many uniforms `poisson_sum` needs for rate lam."""
    return max(1, int(np.ceil(lam / 30.0)))


def poisson_sum(u: F64, lam: float) -> NDArray[np.int64]:
    """Poisson(lam) per row of `u` (shape (rows, poisson_pieces(lam))), summing pieces of rate lam / pieces."""
    pieces = u.shape[1]
    return poisson(u, lam / pieces).sum(axis=1)
