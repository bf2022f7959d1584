"""The L1 adversary of a slot: the attacker's RANDAO choice and the censoring builders of the slot's L1 blocks.

One state variable (`adversary`) holds what the other mechanisms need: which keys the attacker owns, the censoring
flags of the slot's L1 blocks and the L1 blocks withheld for the slot's RANDAO value. The helpers below are the
only way the happy-path mechanisms see censorship; with the attacks off (strategy `none`, `builder_share` 0) each
returns its input untouched, so the core pays almost nothing. See `randao_attack` and `censorship` for the models and
`l1_adversary` for the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.context import Context
from aztec_econ.model.mechanisms.censorship import CensorPlan
from aztec_econ.model.rng import Stream, stream_keys, unit_bits

I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class Adversary:
    """The adversary's view of the current slot, per run."""

    attacker: B
    """Keys the attacker owns (runs x key capacity); constant over the run."""
    plan: CensorPlan | None
    """The current chunk's censoring flags (None while censorship is off)."""
    censored: B
    """Censoring flags of the slot's L1 blocks (runs x slot_l1_blocks)."""
    withheld: I64
    """L1 blocks the attacker withheld to set the slot's RANDAO value."""


def attacker_keys(ctx: Context) -> B:
    """Which keys the attacker owns (runs x key capacity): the m = round(p x initial) initial keys with the
    smallest `Stream.ATTACKER` hashes (see `randao_attack`)."""
    p = ctx.params
    initial = p.agents.sequencers.initial
    m = round(p.attacks.randao.sequencer_share * initial)
    mask = np.zeros((ctx.n_runs, ctx.key_capacity), dtype=bool)
    if m:
        u = unit_bits(stream_keys(ctx.keys, Stream.ATTACKER, 0), initial)
        mask[:, :initial] = smallest(u, m)
    return mask


def smallest(u: NDArray[np.float64], m: int) -> B:
    """Which `m` entries of each row of `u` (1 <= m <= its columns) are its smallest, ties to the lower index: the
    first `m` of a stable argsort, found by a partition (linear time) instead of a sort."""
    kth = np.partition(u, m - 1, axis=1)[:, m - 1 : m]  # each row's m-th smallest value
    below = u < kth
    tied = u == kth
    room = m - below.sum(axis=1, keepdims=True)  # how many of the tied values the m smallest still take
    return below | (tied & (np.cumsum(tied, axis=1) <= room))


def genesis_adversary(ctx: Context) -> Adversary:
    runs = ctx.n_runs
    return Adversary(
        attacker=attacker_keys(ctx),
        plan=None,
        censored=np.zeros((runs, ctx.slot_l1_blocks), dtype=bool),
        withheld=np.zeros(runs, dtype=np.int64),
    )


def censoring(ctx: Context) -> bool:
    return ctx.params.attacks.censorship.builder_share > 0


def owned(adv: Adversary, keys: I64) -> B:
    """Whether each key (runs x n or runs,) is the attacker's; -1 (no key) is not."""
    k = keys if keys.ndim == 2 else keys[:, None]
    rows = np.arange(k.shape[0])[:, None]
    mine = (k >= 0) & adv.attacker[rows, np.maximum(k, 0)]
    return mine if keys.ndim == 2 else mine[:, 0]


def includes(ctx: Context, adv: Adversary, kind: str) -> B | None:
    """Which of the slot's L1 blocks include an honest transaction of `kind` (runs x slot blocks): those not built by
    a censoring builder when censorship of `kind` is on; None when every builder includes it."""
    if not censoring(ctx) or kind not in ctx.params.attacks.censorship.phases:
        return None
    return ~adv.censored


def includes_for(ctx: Context, adv: Adversary, kind: str, sender: I64) -> B | None:
    """`includes` for a transaction of `sender`'s block (runs,): the attacker's own transactions go in every block."""
    honest = includes(ctx, adv, kind)
    if honest is None:
        return None
    return honest | owned(adv, sender)[:, None]


COLUMNS: tuple[Column, ...] = (
    Column(
        "attacker_won",
        "-",
        "an attacker key won the slot's election (whatever happened to its block), or the attacker's pre-built "
        "block won backup mode (`attacks`)",
    ),
    Column(
        "l1_blocks_withheld",
        "L1 blocks",
        "L1 blocks the attacker withheld to set the RANDAO value of the slot's election",
        dtype="int16",
    ),
    Column(
        "l1_value_forfeited",
        "tokens",
        "L1 proposer value forfeited by them (`l1_blocks_withheld * attacks.randao.l1_block_value`)",
    ),
    Column(
        "censored_l1_blocks", "L1 blocks", "L1 blocks of the slot built by censoring builders", dtype="int16"
    ),
    Column(
        "proposal_censored",
        "-",
        "every L1 block of the slot's proposal phase was built by a censoring builder (honest proposals could not "
        "land if `proposal` is one of `attacks.censorship.phases`)",
    ),
)
"""The L1 adversary's per-slot columns."""


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    """The adversary's per-slot output columns (docs/outputs.md)."""
    proposer = seg.field("outcome", "proposer")
    withheld = seg.field("adversary", "withheld")
    if censoring(ctx):
        censored = seg.field("adversary", "censored")  # slots x runs x slot blocks
        first, end = ctx.phases["proposal"]
        by_slot = np.count_nonzero(censored, axis=-1)
        full = ~(~censored[..., first:end]).any(axis=-1)
    else:
        by_slot = np.zeros(proposer.shape, dtype=np.int64)
        full = np.zeros(proposer.shape, dtype=bool)
    adv = seg.states[-1]["adversary"]  # its `attacker` keys are constant over the run
    return {
        "attacker_won": owned(adv, proposer.T).T | seg.field("outcome", "attacker_backup"),
        "l1_blocks_withheld": withheld,
        "l1_value_forfeited": withheld * ctx.params.attacks.randao.l1_block_value,
        "censored_l1_blocks": by_slot,
        "proposal_censored": full,
    }


RECORDER = Recorder(COLUMNS, record)
