"""Upgrade votes: a block proposed by a key that supports the upgrade carries a yes vote.

Spec (Voting on upgrades): sequencers signal support in their block proposals (by updating their client); "a majority
of sequencers must vote yes ... over a minimum duration of 7 days"; votes are counted when the block is confirmed.

Model (parameters `governance`, `protocol.upgrade_vote_*`; assumptions where the spec is silent):
- Supporters. Each key gets a uniform from `Stream.GOVERNANCE`. Of the initial keys, exactly
  round(s(t) x initial keys) support at slot t: those with the smallest uniforms, so support grows (or shrinks) by
  adding (or dropping) keys in one fixed order. s(t) moves linearly from `support_share` to `support_share_end` over
  `ramp_days` (0: constant at `support_share`). A key registered later supports when its uniform is below s(t).
- The attacker's keys follow that rule (`attacker_vote: follow`), or all vote yes, or all vote no.
- Counted blocks. Blocks finalized on the happy path count, carrying their proposer's vote. Backup-mode blocks count
  only with `count_backup_blocks` (as no votes: backup builders do not signal, except the attacker's pre-built blocks
  when it votes yes). Skipped slots carry no vote.
- Windows. Consecutive windows of round(`upgrade_vote_window_days` x slots per day) slots (at least one) from slot
  0; a window passes when yes > `upgrade_vote_threshold` x counted blocks (`metrics.vote_table`).

Votes do not change the dynamics, so they are computed after the simulation from the recorded columns, vectorised
over runs and slots (no per-slot cost).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.columns import Column
from aztec_econ.model.context import Context
from aztec_econ.model.rng import Stream, stream_keys, unit_bits
from aztec_econ.model.stage import Mode

I64 = NDArray[np.int64]
B = NDArray[np.bool_]


class Vote(IntEnum):
    NONE = 0  # no counted block in the slot
    NO = 1
    YES = 2


VOTES = tuple(v.name.lower() for v in Vote)


def window_slots(ctx: Context) -> int:
    """Slots per vote window."""
    return max(1, round(ctx.params.protocol.upgrade_vote_window_days * ctx.params.protocol.slots_per_day))


def support_share(ctx: Context, slots: I64) -> NDArray[np.float64]:
    """s(t) at each slot: linear ramp from support_share to support_share_end over ramp_days."""
    g = ctx.params.governance
    if g.ramp_days == 0:
        return np.full(slots.shape, g.support_share)
    days = slots / ctx.params.protocol.slots_per_day
    return g.support_share + (g.support_share_end - g.support_share) * np.minimum(1.0, days / g.ramp_days)


def voter_draws(ctx: Context) -> tuple[NDArray[np.float64], I64]:
    """Each key's support draw (runs x key capacity) and each initial key's rank among the initial keys' draws (runs x
    initial keys): who supports at a support share (see `votes`)."""
    initial = ctx.params.agents.sequencers.initial
    u = unit_bits(stream_keys(ctx.keys, Stream.GOVERNANCE, 0), ctx.key_capacity)
    order = np.argsort(u[:, :initial], axis=1, kind="stable")
    # each key's rank is the inverse permutation of the order: what a second stable argsort gave, without its sort
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(initial), order.shape), axis=1)
    return u, rank


def votes(
    ctx: Context,
    attacker: B,
    proposer: I64,
    mode: NDArray[np.int8],
    attacker_backup: B,
    first_slot: int = 0,
    draws: tuple[NDArray[np.float64], I64] | None = None,
) -> NDArray[np.int8]:
    """Vote codes (`Vote`, runs x slots) from the per-slot proposer, mode and attacker-backup columns of the slots
    from `first_slot` (each slot's vote depends only on its own columns, so slot ranges give the horizon's votes
    piece by piece; pass the same `voter_draws` to each piece)."""
    g = ctx.params.governance
    runs, slots = proposer.shape
    initial = ctx.params.agents.sequencers.initial
    u, rank = voter_draws(ctx) if draws is None else draws
    share = support_share(ctx, np.arange(first_slot, first_slot + slots, dtype=np.int64))
    count = np.rint(share * initial).astype(np.int64)  # half to even, like Python's round

    key = np.maximum(proposer, 0)
    rows = np.arange(runs)[:, None]
    is_initial = key < initial
    supports = np.where(
        is_initial,
        rank[rows, np.minimum(key, initial - 1)] < count[None, :],
        u[rows, key] < share[None, :],
    )
    owned = attacker[rows, key]
    if g.attacker_vote != "follow":
        supports = np.where(owned, g.attacker_vote == "yes", supports)

    happy = mode == Mode.HAPPY
    backup = (mode == Mode.BACKUP) & g.count_backup_blocks
    yes = (happy & (proposer >= 0) & supports) | (backup & attacker_backup & (g.attacker_vote == "yes"))
    counted = happy | backup
    return np.where(counted, np.where(yes, Vote.YES, Vote.NO), Vote.NONE).astype(np.int8)


VOTE_COLUMN = Column(
    "vote",
    "-",
    "upgrade vote the slot's block carries: `yes`, `no`, or `none` (no block counted; see "
    "`model.mechanisms.governance`)",
)
"""Computed after the horizon from the recorded columns (`votes`)."""
