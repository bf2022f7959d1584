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

from aztec_econ.model.context import Context
from aztec_econ.model.mechanisms.censorship import CensorPlan, first_open
from aztec_econ.model.rng import Stream, bits, stream_keys, to_unit

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
        u = to_unit(bits(stream_keys(ctx.keys, Stream.ATTACKER, 0), initial))
        chosen = np.argsort(u, axis=1, kind="stable")[:, :m]
        np.put_along_axis(mask, chosen, True, axis=1)
    return mask


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


def _owned(adv: Adversary, keys: I64) -> B:
    """Whether each key (runs x n or runs,) is the attacker's; -1 (no key) is not."""
    k = keys if keys.ndim == 2 else keys[:, None]
    rows = np.arange(k.shape[0])[:, None]
    owned = (k >= 0) & adv.attacker[rows, np.maximum(k, 0)]
    return owned if keys.ndim == 2 else owned[:, 0]


def proposals_land(ctx: Context, adv: Adversary, candidates: I64, online: B) -> B:
    """Which candidates' proposals land (runs x k): online, and not kept out by censoring builders."""
    if not censoring(ctx) or "proposal" not in ctx.params.attacks.censorship.phases:
        return online
    first, end = ctx.phases["proposal"]
    open_phase = first_open(adv.censored, first, end) >= 0
    return online & (open_phase[:, None] | _owned(adv, candidates))


def blocked(ctx: Context, adv: Adversary, phase: str, proposer: I64) -> B:
    """Runs whose honest block's `phase` transaction is kept out of every L1 block of the phase."""
    if not censoring(ctx) or phase not in ctx.params.attacks.censorship.phases:
        return np.zeros(proposer.shape, dtype=bool)
    first, end = ctx.phases[phase]
    return (first_open(adv.censored, first, end) < 0) & ~_owned(adv, proposer)


def proof_landing(ctx: Context, adv: Adversary, proposer: I64, ready: I64) -> tuple[B, I64]:
    """(lands, offset in the proving phase) of a proof ready at offset `ready`: the first open block from there."""
    if not censoring(ctx) or "proof" not in ctx.params.attacks.censorship.phases:
        return np.ones(proposer.shape, dtype=bool), ready
    first, end = ctx.phases["proof"]
    usable = ~adv.censored[:, first:end] & (np.arange(end - first)[None, :] >= ready[:, None])
    usable |= _owned(adv, proposer)[:, None] & (np.arange(end - first)[None, :] == ready[:, None])
    lands = np.asarray(usable.any(axis=1), dtype=bool)
    offset: I64 = np.where(lands, np.argmax(usable, axis=1), ready).astype(np.int64)
    return lands, offset


def slot_columns(ctx: Context, adv: Adversary, proposer: I64, attacker_backup: B) -> dict[str, NDArray[Any]]:
    """The adversary's per-slot output columns (docs/outputs.md)."""
    first, end = ctx.phases["proposal"]
    if censoring(ctx):
        open_at = first_open(adv.censored, first, end)
        delay = np.where(_owned(adv, proposer), 0, open_at)
        censored = adv.censored.sum(axis=1)
        full = open_at < 0
    else:
        delay = np.zeros(proposer.shape, dtype=np.int64)
        censored = np.zeros(proposer.shape, dtype=np.int64)
        full = np.zeros(proposer.shape, dtype=bool)
    return {
        "attacker_won": _owned(adv, proposer) | attacker_backup,
        "l1_blocks_withheld": adv.withheld,
        "l1_value_forfeited": adv.withheld * ctx.params.attacks.randao.l1_block_value,
        "censored_l1_blocks": censored,
        "proposal_censored": full,
        "inclusion_delay": np.where(proposer >= 0, delay, -1),
    }
