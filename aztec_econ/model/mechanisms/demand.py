"""Users' transactions: arrivals, bids, the mempool and the block's selection by bid.

No per-transaction objects: the mempool of each run is an integer array of pending transactions by bid bucket and
age (runs x buckets x ages). Bids are the mid-quantiles of `bid_buckets` equal-probability buckets of the bid
distribution, so arrivals split evenly over the buckets. Every slot (source: assumption unless stated):

- arrivals: Poisson with rate `tx_per_second` x slot seconds x (1 + trend)^years, x `shock_multiplier` while a
  demand shock lasts (shocks start at `shocks_per_day` and last `shock_hours`, converted to slots by
  `model.timebase`); one Poisson count per bucket;
- selection: the block takes pending transactions in order of bid, highest first (first-price / priority auction,
  spec: Economics), oldest first within a bid, while they fit in `protocol.block_capacity`; under a base fee, bids
  below it wait;
- a transaction not included within `expiry_minutes` (whole slots, rounded up) leaves the mempool.

Every draw comes from `Stream.DEMAND` with the slot as counter, so the same seed gives the same arrivals and MEV
draws under every fee mechanism (a mechanism changes what is included, never what arrives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln, ndtri

from aztec_econ.model.rng import Stream, uniforms
from aztec_econ.model.timebase import PerSlot, per_slot
from aztec_econ.params import Params

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
_MAX_PIECE_RATE = 30.0


def bid_levels(params: Params) -> F64:
    """Bid per unit of capacity of each bucket, ascending (tokens/mana)."""
    d = params.environment.demand
    q = (np.arange(d.bid_buckets) + 0.5) / d.bid_buckets
    if d.bid_distribution == "uniform":
        return d.bid_scale * q
    return d.bid_scale * np.exp(d.bid_sigma * ndtri(q))


def slots_per_year(params: Params) -> float:
    return 365.0 * params.protocol.slots_per_day


def max_rate(params: Params) -> float:
    """The largest arrival rate of the horizon (tx/slot): sizes the Poisson pieces, independent of the draws."""
    d = params.environment.demand
    years = params.sim.slots / slots_per_year(params)
    growth = max(1.0, (1.0 + d.trend_per_year) ** years)
    return per_slot(params).tx_rate * growth * max(1.0, d.shock_multiplier)


def poisson_pieces(params: Params) -> int:
    """Uniforms per bucket so each Poisson piece has a rate of at most 30 (exact inversion)."""
    per_bucket = max_rate(params) / params.environment.demand.bid_buckets
    return max(1, math.ceil(per_bucket / _MAX_PIECE_RATE))


_CDFS: dict[float, F64] = {}


def poisson_cdf(lam: float) -> F64:
    """The Poisson(lam) CDF at 0, 1, ..., far enough that the rest has probability below 1e-16 (lam <= 30).
    Cached: a slot sees one or two rates, constant without a trend."""
    cdf = _CDFS.get(lam)
    if cdf is None:
        if len(_CDFS) > 64:
            _CDFS.clear()
        cdf = _CDFS[lam] = _poisson_cdf(lam)
    return cdf


def _poisson_cdf(lam: float) -> F64:
    top = int(lam + 12 * math.sqrt(lam) + 40)
    k = np.arange(top)
    pmf = np.exp(k * math.log(lam) - lam - gammaln(k + 1)) if lam > 0 else (k == 0).astype(np.float64)
    return np.cumsum(pmf)


_PAIRS: dict[tuple[float, float], tuple[F64, int, I64]] = {}

GUIDE_CELLS = 1024
"""Cells of the unit interval in `inversion_guide` (a power of two: a uniform's cell and the cells' bounds are
exact). Measured 2026-12-08 (100 runs x 16 buckets, rate 3.75 a bucket, the slots' steps run in sequence): the
compiled draws 27 -> 7.7 us a slot; the linear search from 0 took about 4 steps a draw and its exit branch, which
depends on the draw, was mispredicted on most draws."""


def two_rate_table(calm: float, shocked: float) -> tuple[F64, int, I64]:
    """The Poisson CDFs of the calm and the shocked rate (each <= 30) as one sorted array, the shocked one shifted by
    2 (uniforms are below 1, CDFs at most 1), where the shocked part starts, and the parts' `inversion_guide`: a row
    of uniforms with either rate is inverted (the smallest k with u < CDF(k)) by searching its own part. Cached, as
    `poisson_cdf`."""
    pair = _PAIRS.get((calm, shocked))
    if pair is None:
        if len(_PAIRS) > 64:
            _PAIRS.clear()
        first = poisson_cdf(calm)
        table = np.concatenate([first, poisson_cdf(shocked) + 2.0])
        pair = _PAIRS[(calm, shocked)] = (table, first.size, inversion_guide(table, first.size))
    return pair


def inversion_guide(table: F64, offset: int) -> I64:
    """Where the inversion of a uniform u in cell g = floor(u x GUIDE_CELLS) can start searching `table` (2 x
    (GUIDE_CELLS + 1): the calm part's row, then the shocked part's): the number of entries of the part at or below
    the cell's lower bound g / GUIDE_CELLS (2 + g / GUIDE_CELLS in the shifted shocked part), every one of which the
    search would pass for any u of the cell (the indexed search of Chen and Asau, 1974: the same k, found in about
    one step instead of k). The bounds are exact binary fractions; `table`'s parts are non-decreasing."""
    bounds = np.arange(GUIDE_CELLS + 1, dtype=np.float64) / GUIDE_CELLS
    calm = np.searchsorted(table[:offset], bounds, side="right")
    shocked = offset + np.searchsorted(table[offset:], bounds + 2.0, side="right")
    guide = np.stack([calm, shocked]).astype(np.int64)
    guide.setflags(write=False)
    return guide


def arrivals(
    params: Params, ps: PerSlot, keys: NDArray[np.uint64], slot: int, shock_left: I64, pieces: int
) -> tuple[I64, I64, F64]:
    """(arrivals per bucket (runs x buckets), shock slots left, the MEV draw Exp(1)) for `slot`; the shocks and the
    Poisson inversion of each bucket's pieces compiled (`kernels_economy.demand_draws`)."""
    import aztec_econ.model.kernels_economy as kernels_economy  # the module: a third of a from-import's time, every slot

    d = params.environment.demand
    buckets = d.bid_buckets
    u = uniforms(keys, Stream.DEMAND, slot, 2 + buckets * pieces)
    base = ps.tx_rate * (1.0 + d.trend_per_year) ** (slot / slots_per_year(params))
    per_piece = base / (buckets * pieces)
    table, offset, guide = two_rate_table(per_piece, per_piece * d.shock_multiplier)
    counts, left = kernels_economy.demand_draws(
        u, table, offset, guide, pieces, shock_left, ps.demand_shock_probability, ps.demand_shock_slots
    )
    return counts, left, -np.log1p(-u[:, 1])


@dataclass(frozen=True)
class Selection:
    """Which pending transactions (runs x buckets x ages) a block takes, per run, without a per-cell array: every
    transaction of the `eligible` buckets (runs x buckets) in priority order (`select`) up to the first cell that
    does not fit whole, the cut (`cut_bucket`, `cut_age`), which gives `cut_take` of its transactions; none after
    it. `cut_bucket` -1: no cut, every eligible transaction fits. It refers to the mempool it was selected from
    (`dense(pending)` is the per-cell array); the compiled mempool passes read it as `arrays()`."""

    eligible: NDArray[np.bool_]
    cut_bucket: I64
    cut_age: I64
    cut_take: I64

    @staticmethod
    def nothing(runs: int, buckets: int) -> Selection:
        """A selection that takes no transaction (no bucket eligible)."""
        return Selection(
            np.zeros((runs, buckets), dtype=np.bool_),
            np.full(runs, -1, dtype=np.int64),
            np.full(runs, -1, dtype=np.int64),
            np.zeros(runs, dtype=np.int64),
        )

    def arrays(self) -> tuple[NDArray[np.bool_], I64, I64, I64]:
        return self.eligible, self.cut_bucket, self.cut_age, self.cut_take

    def dense(self, pending: NDArray[np.integer[Any]]) -> NDArray[np.integer[Any]]:
        """The transactions it takes of `pending`, per cell (`pending`'s type; compiled: `kernels_economy.selected`)."""
        from aztec_econ.model.kernels_economy import selected

        return selected(np.ascontiguousarray(pending), self.arrays())


def select(
    pending: NDArray[np.integer[Any]], eligible: NDArray[np.bool_], capacity_txs: int
) -> NDArray[np.int32]:
    """Transactions the block includes (runs x buckets x ages, int32), from `pending` in priority order.

    Priority: higher bucket (bid) first, then older first; only `eligible` buckets (runs x buckets: bid at or above
    the base fee); at most `capacity_txs` transactions. A higher bid therefore never waits while a lower bid of the
    same age is included.
    """
    mempool = np.ascontiguousarray(pending, dtype=np.int32)  # `market.Mempool`, what the selection is made on
    return np.asarray(select_by_bucket(mempool, eligible, capacity_txs)[0].dense(mempool), dtype=np.int32)


def select_by_bucket(
    pending: NDArray[np.integer[Any]], eligible: NDArray[np.bool_], capacity_txs: int
) -> tuple[Selection, I64, I64]:
    """`select` as a `Selection`, and the included transactions per bucket (runs x buckets) and per age (runs x
    ages); compiled (`kernels_economy.select_mempool`, on the mempool as int32: `market.Mempool`)."""
    import aztec_econ.model.kernels_economy as kernels_economy  # the module: a third of a from-import's time, every slot

    eligible = np.ascontiguousarray(eligible, dtype=np.bool_)
    cut_bucket, cut_age, cut_take, by_bucket, by_age = kernels_economy.select_mempool(
        np.ascontiguousarray(pending, dtype=np.int32), eligible, int(capacity_txs)
    )
    return Selection(eligible, cut_bucket, cut_age, cut_take), by_bucket, by_age


def capacity_in_txs(params: Params) -> int:
    """Whole transactions that fit in a block."""
    return int(min(params.protocol.block_capacity / params.environment.demand.tx_size, 2**62))
