"""Reveal: the winner publishes the block data to the DA layer (e.g. EIP-4844 blobs) in the reveal phase.

Spec (Block production 3; Backup mode): without the data the block cannot be finalized and the slot goes to backup.
The spec slashes the prover's bond whenever the block is not finalized; `slash_bond_on_missed_reveal` can instead
return it when the failure is the sequencer's. A hard reveal failure (`reveal_failure_probability`, assumption)
stays as a per-slot chance.

When to reveal is the sequencer's decision (assumption: the rule below; the spec leaves it open). Transactions keep
arriving during the slot, and a later reveal can include those that arrived before it (`market.late_inclusions`),
so waiting adds their fees and MEV; the design variant `early_reveal_bonus` falls linearly from its full value at the
phase's first block to 0 at its end; and under censorship of reveals a later reveal has fewer blocks left to land
in. The sequencer sends its reveal at the block j of the phase that maximises its expected revenue
    P(lands | sent at j) x (block value + expected late fees and MEV by block j + bonus x (1 - j / R)),
with R the phase's length, P = 1 - c^(R - j) when its reveals are censored by a builder share c (it knows the share,
not which builders come; independence is its approximation), else 1, and nominal block times (ties: earliest).
The reveal lands in the first block from j whose builder includes it; none by the phase's last block is a missed
reveal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_slot
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Flow, Posting, bond_owner
from aztec_econ.model.mechanisms import market
from aztec_econ.model.mechanisms.adversary import includes, includes_for, owned
from aztec_econ.model.mechanisms.timeline import land
from aztec_econ.model.stage import Role, Stage

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


def bonus(ctx: Context, landed: I64) -> F64:
    """The early-reveal bonus of a reveal landed at slot block `landed` (0 where none)."""
    full = ctx.params.protocol.variants.early_reveal_bonus
    first, end = ctx.phases["reveal"]
    share = np.clip(1.0 - (landed - first) / (end - first), 0.0, 1.0)
    return np.where(landed >= 0, full * share, 0.0)


def chosen_block(ctx: Context, s: State) -> tuple[I64, F64]:
    """The slot block at which the winner sends its reveal (module docstring), and its time (s), per run; compiled
    (`kernels_slot.reveal_choice`)."""
    p = ctx.params
    first, end = ctx.phases["reveal"]
    length = end - first
    econ = s["economy"]
    late = market.expected_late_value(ctx, econ, ctx.l1_seconds[0, first:end])  # runs x length
    lands, honest = None, None
    if includes(ctx, s["adversary"], "reveal") is not None:
        c = p.attacks.censorship.builder_share
        lands = 1.0 - c ** (length - np.arange(length, dtype=np.float64))
        honest = ~owned(s["adversary"], s["outcome"].proposer)
    chosen: tuple[I64, F64] = kernels_slot.reveal_choice(
        econ.candidate.block_value,
        late,
        float(p.protocol.variants.early_reveal_bonus),
        lands,
        honest,
        s["l1"].seconds,
        first,
    )
    return chosen


def reveal_landing(ctx: Context, s: State, sending: B) -> I64:
    """Slot block where each sending run's reveal lands (-1: not sent, or kept out until the deadline)."""
    first, end = ctx.phases["reveal"]
    seconds = s["l1"].seconds
    _, sent = chosen_block(ctx, s)
    landed = land(
        seconds, includes_for(ctx, s["adversary"], "reveal", s["outcome"].proposer), first, end, sent
    )
    return np.where(sending, landed, -1)


def step_reveal(ctx: Context, s: State) -> dict[str, Any]:
    """The committed winner reveals at its chosen block; a missed reveal puts the bond at stake."""
    p = ctx.params
    outcome = s["outcome"]
    committed = outcome.stage == int(Stage.COMMITTED)
    if p.protocol.variants.sidecar_phase_order:  # revealed before the commitment (see sidecar)
        revealed = committed
        landed = outcome.reveal_block
    else:
        landed = reveal_landing(ctx, s, committed)
        revealed = committed & (landed >= 0)
        revealed &= s["draws"].one("reveal") >= p.agents.sequencers.reveal_failure_probability
        landed = np.where(revealed, landed, -1)
    missed = np.where(committed & ~revealed, outcome.bond_locked, 0.0)
    book = s["book"]
    if p.protocol.slash_bond_on_missed_reveal:
        book = book.post(Posting(Flow.SLASH, Account.BONDS, None, missed))
    else:
        book = book.post(
            Posting(Flow.UNLOCK, Account.BONDS, bond_owner(outcome.prover, outcome.self_proved), missed)
        )
    stage = np.where(revealed, int(Stage.REVEALED), outcome.stage).astype(np.int8, copy=False)
    rewards = outcome.rewards
    if p.protocol.variants.early_reveal_bonus > 0:  # design variant: a bonus for revealing early
        minted = np.where(revealed, bonus(ctx, landed), 0.0)
        book = book.post(Posting(Flow.MINT, None, Account.SEQUENCERS, minted))
        rewards = rewards.copy()
        rewards[:, Role.SEQUENCER] += minted
    return {
        "outcome": evolve(
            outcome, stage=stage, revealed=outcome.revealed | revealed, rewards=rewards, reveal_block=landed
        ),
        "book": book,
    }
