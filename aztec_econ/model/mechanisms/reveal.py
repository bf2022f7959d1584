"""Reveal: the winner publishes the block data to the DA layer (e.g. EIP-4844 blobs) in the reveal phase.

Spec (Block production 3; Backup mode): without the data the block cannot be finalized and the slot goes to backup.
The spec slashes the prover's bond whenever the block is not finalized; `slash_bond_on_missed_reveal` can instead
return it when the failure is the sequencer's. Failure chance per slot: `reveal_failure_probability` (assumption).
Design variant `early_reveal_bonus`: tokens minted to the sequencer for data revealed in the reveal phase.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms.adversary import blocked
from aztec_econ.model.mechanisms.sidecar import bond_owner
from aztec_econ.model.stage import Role, Stage

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def step_reveal(ctx: Context, s: State) -> dict[str, Any]:
    p = ctx.params
    outcome = s["outcome"]
    committed = outcome.stage == Stage.COMMITTED
    if p.protocol.variants.sidecar_phase_order:  # revealed before the commitment (see sidecar)
        revealed = committed
    else:
        committed &= ~blocked(ctx, s["adversary"], "reveal", outcome.proposer)
        revealed = committed & (s["draws"].one("reveal") >= p.agents.sequencers.reveal_failure_probability)
    missed = np.where(committed & ~revealed, outcome.bond_locked, 0.0)
    book: Book = s["book"]
    if p.protocol.slash_bond_on_missed_reveal:
        book = book.post(Posting(Flow.SLASH, Account.BONDS, None, missed))
    else:
        book = book.post(
            Posting(Flow.UNLOCK, Account.BONDS, bond_owner(outcome.prover, outcome.self_proved), missed)
        )
    stage = np.where(revealed, Stage.REVEALED, outcome.stage).astype(np.int8)
    rewards = outcome.rewards
    if p.protocol.variants.early_reveal_bonus > 0:  # design variant: a bonus for revealing the data
        bonus = np.where(revealed, p.protocol.variants.early_reveal_bonus, 0.0)
        book = book.post(Posting(Flow.MINT, None, Account.SEQUENCERS, bonus))
        rewards = rewards.copy()
        rewards[:, Role.SEQUENCER] += bonus
    return {
        "outcome": replace(outcome, stage=stage, revealed=outcome.revealed | revealed, rewards=rewards),
        "book": book,
    }
