"""The slot as an L1-block timeline: when each of the slot's L1 blocks is built, and where a transaction lands.

Every protocol action (proposal, prover commitment, reveal, proof, backup submission) is an L1 transaction. A
transaction sent at time t lands in the first L1 block built at or after t, inside its phase's window, whose builder
includes it; censoring builders keep out the honest Aztec transactions of the kinds in `attacks.censorship.phases`
(`adversary`). Nothing lands after a phase's last block: that block is its deadline.

Time within the slot (source: spec overview, 12 s L1 slots; empty slots: assumption). Block j of the slot is built
`l1_block_seconds` x (j + the empty L1 slots before it) after the slot's first block: an empty L1 slot
(`environment.l1.missed_block_probability`, independently per L1 slot) passes 12 s without using a block number,
so it delays every later landing but leaves the block-numbered phases as they are. The number of empty slots before
a block is geometric: P(at least k) = p^k. Draws: `Stream.L1_SLOTS`, counter the slot, one uniform per block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_slot
from aztec_econ.model.context import Context
from aztec_econ.model.rng import Stream, uniforms

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class L1Blocks:
    """The slot's L1 blocks, per run."""

    seconds: F64
    """Time each block of the slot is built, after the slot's first block (runs x slot_l1_blocks) [s]."""


def step_l1_blocks(ctx: Context, s: State) -> dict[str, Any]:
    """When each of the slot's L1 blocks is built (module docstring; compiled: `kernels_slot.l1_block_times`, the
    logarithms in numpy)."""
    p = ctx.params.environment.l1.missed_block_probability
    if p == 0:
        return {"l1": L1Blocks(ctx.l1_seconds)}
    pr = ctx.params.protocol
    u = uniforms(ctx.keys, Stream.L1_SLOTS, s["slot"], pr.slot_l1_blocks)
    return {
        "l1": L1Blocks(
            kernels_slot.l1_block_times(log_survivals(u, p), math.log(p), float(pr.l1_block_seconds))
        )
    }


SURE_MARGIN = 1e-6
"""Relative margin of `log_survivals`' shortcut: far above the few ulps by which log1p, log and the division round."""


def log_survivals(u: F64, p: float) -> F64:
    """log(1 - u) of the blocks' uniforms `u` where it decides an empty slot, and 0 where it surely does not: where
    -log(1 - u) < -log(p) x (1 - `SURE_MARGIN`), floor(log(1 - u) / log(p)) is 0 however the logarithms round, as
    it is for 0. The empty slots drawn are exactly those of `np.log1p(-u)` (tested); with p = 1% the logarithm is
    taken of about 1% of the uniforms instead of all of them (it was most of the step's time)."""
    out = np.zeros_like(u)
    near = u >= 1.0 - p ** (1.0 - SURE_MARGIN)
    out[near] = np.log1p(-u[near])
    return out


def land(seconds: F64, includes: B | None, first: int, end: int, sent: F64 | float) -> I64:
    """Per run, the block (offset in the slot) where a transaction sent at `sent` seconds lands: the first block in
    [first, end) built at or after `sent` whose builder includes it (`includes`, runs x slot blocks; None: every
    builder), or -1 if none before the deadline. Compiled (`kernels_slot.first_landing`: one scan per run)."""
    at: I64 = kernels_slot.first_landing(
        seconds, includes, first, end, np.asarray(sent, dtype=np.float64).reshape(-1)
    )
    return at
