"""Finalization: a verified proof mints the block reward, split between sequencer, prover and submitter.

Spec (Block production 5, Economics): payouts go to the sequencer, the prover, and the address that submits the
proof (the prover, or anyone such as a relay). The split is `protocol.reward_split` (assumption); a separate relay
submits with probability `agents.relays.submission_share` (assumption). The prover's bond is released. Design
variant `reward_decay_per_l1_block`: the reward shrinks linearly with the L1 blocks the proof lands after the proving
phase opens (a decaying reward instead of a flat one within the deadline).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms.sidecar import bond_owner
from aztec_econ.model.stage import Stage, Submitter

ROLES = ("sequencer", "prover", "submitter", "backup")
"""Columns of the per-slot `rewards` array."""


def p_finalization(params: dict[str, Any], substep: int, history: Any, s: dict[str, Any]) -> dict[str, Any]:
    ctx: Context = params["ctx"]
    p = ctx.params
    split = p.protocol.reward_split
    outcome = s["outcome"]
    proven = outcome.stage == Stage.PROVEN
    reward = np.where(proven, float(p.protocol.block_reward), 0.0)
    decay = p.protocol.variants.reward_decay_per_l1_block
    if decay > 0:  # design variant: the reward shrinks the later the proof lands in the proving phase
        pr = p.protocol
        opens = s["slot"] * pr.slot_l1_blocks + pr.proposal_phase_l1_blocks + pr.commitment_phase_l1_blocks
        late = outcome.finalized_l1_block - opens - pr.reveal_phase_l1_blocks
        reward = reward * np.clip(1.0 - decay * late, 0.0, 1.0)
    prover_account = bond_owner(outcome.prover, outcome.self_proved)
    relayed = proven & (s["draws"].one("relay") < p.agents.relays.submission_share)
    submitter_account = np.where(relayed, int(Account.RELAYS), prover_account)

    to_sequencer, to_prover, to_submitter = (
        reward * split.sequencer,
        reward * split.prover,
        reward * split.submitter,
    )
    book: Book = s["book"].post(
        Posting(Flow.MINT, None, Account.SEQUENCERS, to_sequencer),
        Posting(Flow.MINT, None, prover_account, to_prover),
        Posting(Flow.MINT, None, submitter_account, to_submitter),
        Posting(Flow.UNLOCK, Account.BONDS, prover_account, np.where(proven, outcome.bond_locked, 0.0)),
    )
    own = np.where(outcome.self_proved, Submitter.SEQUENCER, Submitter.PROVER)
    submitter = np.where(proven, np.where(relayed, Submitter.RELAY, own), Submitter.NONE).astype(np.int8)
    rewards = np.stack(
        [outcome.rewards[:, 0] + to_sequencer, to_prover, to_submitter, np.zeros_like(reward)], axis=1
    )
    return {"outcome": replace(outcome, rewards=rewards, submitter=submitter), "book": book}
