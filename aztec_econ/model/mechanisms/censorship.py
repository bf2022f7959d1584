"""L1 censorship: censoring builders keep honest sequencers' Aztec transactions out of the L1 blocks they build.

Spec (Backup mode, "Known potential issue: L1 censorship"): builders may keep block proposals from landing in time,
triggering backup mode, where they may have a block pre-built and proven. NOTES.md (L1 censorship). Parameters:
`attacks.censorship` (assumptions).

The censoring process. Each L1 block is censoring or not, following a two-state Markov chain with stationary
censoring share c (`builder_share`) and lag-1 autocorrelation rho (`autocorrelation`):
P(censor | censor) = c + rho (1 - c), P(censor | not) = c (1 - rho). Drawn as: with probability rho a block copies
its predecessor's state, otherwise it is censoring with probability c, independently (the same chain; with rho = 0
blocks are independent). Block 0's predecessor is drawn from the stationary law. The chain is drawn a planning chunk
(about a day) at a time from `Stream.CENSORSHIP` uniforms, carrying the last state over, so it depends only on
(seed, run) and never on how the horizon is segmented; copy runs are resolved with a vectorised forward fill.

What is censored. A transaction for a block proposed by an honest key lands in the first non-censoring L1 block of
its phase; if every block of the phase censors, it fails. Which transactions: `phases` among proposal (the block
proposal: the honest key's proposal does not land), commitment (the prover commitment), reveal (the data
publication) and proof (the proof lands at the first non-censoring block at or after the block it is ready in,
within the proving phase). The attacker's own keys collude with the builders and are never censored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.rng import Stream, uniforms

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class CensorPlan:
    """The censoring flags of a chunk's L1 blocks [first_block, first_block + n) per run (runs x n)."""

    first_block: int
    censored: B
    last: B
    """State of the chunk's last block per run (the next chunk starts from it)."""


def markov_chain(u: NDArray[np.float64], previous: B, share: float, rho: float) -> B:
    """Censoring flags (runs x n) from uniforms u (runs x n) and each run's state before the first block.

    u < c (1 - rho): censoring; u >= c + rho (1 - c): not; otherwise (probability rho) copy the previous block.
    """
    low, high = share * (1 - rho), share + rho * (1 - share)
    forced = np.where(u < low, 1, np.where(u >= high, 0, -1)).astype(np.int8)
    if rho == 0:
        return forced == 1
    n = u.shape[1]
    index = np.where(forced >= 0, np.arange(n)[None, :], -1)
    last = np.maximum.accumulate(index, axis=1)
    from_forced = np.take_along_axis(forced, np.maximum(last, 0), axis=1) == 1
    return np.where(last >= 0, from_forced, previous[:, None])


def plan_censorship(ctx: Context, start_slot: int, previous: B | None) -> CensorPlan:
    """Draw the censoring flags of the chunk of slots starting at `start_slot` (a multiple of `plan_slots`)."""
    c = ctx.params.attacks.censorship
    n_slots = min(ctx.plan_slots, ctx.params.sim.slots - start_slot)
    n = n_slots * ctx.slot_l1_blocks
    chunk = start_slot // ctx.plan_slots
    u = uniforms(ctx.keys, Stream.CENSORSHIP, chunk, n + 1)
    if previous is None:  # before block 0: the stationary law, from the extra uniform
        previous = u[:, n] < c.builder_share
    censored = markov_chain(u[:, :n], previous, c.builder_share, c.autocorrelation)
    return CensorPlan(first_block=start_slot * ctx.slot_l1_blocks, censored=censored, last=censored[:, -1])


def step_censorship(ctx: Context, s: State) -> dict[str, Any]:
    """The censoring flags of the slot's L1 blocks, from the current chunk's plan (a new chunk when one starts)."""
    if ctx.params.attacks.censorship.builder_share == 0:
        return {}
    adv = s["adversary"]
    plan = adv.plan
    first = s["slot"] * ctx.slot_l1_blocks
    if plan is None or first >= plan.first_block + plan.censored.shape[1]:
        plan = plan_censorship(ctx, s["slot"], None if plan is None else plan.last)
    offset = first - plan.first_block
    return {
        "adversary": evolve(adv, plan=plan, censored=plan.censored[:, offset : offset + ctx.slot_l1_blocks])
    }
