"""Finalization: a verified proof mints the block reward, split between sequencer, prover and submitter.

Spec (Block production 5, Economics): payouts go to the sequencer, the prover, and the address that submits the
proof (the prover, or anyone such as a relay). The split is `protocol.reward_split` (assumption); a separate relay
submits with probability `agents.relays.submission_share` (assumption), but only when the submitter's share of the
(decayed) reward covers the verification gas at the slot's prices (`participation.relay_pays`); otherwise the prover
submits. The prover's bond is released. Design
variant `reward_decay_per_l1_block`: the reward shrinks linearly with the L1 blocks the proof lands after the proving
phase opens (a decaying reward instead of a flat one within the deadline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from aztec_econ.model import kernels_slot
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Book, Flow, Posting, bond_owner
from aztec_econ.model.mechanisms.participation import relay_pays
from aztec_econ.model.mechanisms.proving import decay_factor
from aztec_econ.model.stage import Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def step_finalization(ctx: Context, s: State) -> dict[str, Any]:
    """Mint the proven block's reward to the sequencer, the prover and the submitter (a relay when it pays, else
    the prover), release the bond (module docstring); compiled (`kernels_slot.reward_split`)."""
    p = ctx.params
    split = p.protocol.reward_split
    outcome = s["outcome"]
    proven = outcome.stage == int(Stage.PROVEN)
    reward = np.where(proven, float(p.protocol.block_reward), 0.0)
    if p.protocol.variants.reward_decay_per_l1_block > 0:  # design variant: the later the proof, the less
        reward = reward * decay_factor(p, outcome.finalized_l1_block - s["slot"] * ctx.slot_l1_blocks)
    relayed = proven & (s["draws"].one("relay") < p.agents.relays.submission_share)
    prices = s["economy"].prices
    relayed &= relay_pays(
        p, reward, prices.gas, prices.eth_per_token
    )  # a relay submits only when paid enough
    prover_account = bond_owner(outcome.prover, outcome.self_proved)
    minted, rewards, submitter_account, unlock, submitter = kernels_slot.reward_split(  # compiled
        reward,
        np.array([split.sequencer, split.prover, split.submitter], dtype=np.float64),
        proven,
        relayed,
        prover_account,
        int(Account.RELAYS),
        outcome.self_proved,
        outcome.bond_locked,
        outcome.rewards,
        _SUBMITTERS,
    )
    to_sequencer, to_prover, to_submitter = minted
    book: Book = s["book"].post(
        Posting(Flow.MINT, None, Account.SEQUENCERS, to_sequencer),
        Posting(Flow.MINT, None, prover_account, to_prover),
        Posting(Flow.MINT, None, submitter_account, to_submitter),
        Posting(Flow.UNLOCK, Account.BONDS, prover_account, unlock),
    )
    return {"outcome": evolve(outcome, rewards=rewards, submitter=submitter), "book": book}


_SUBMITTERS = np.array(
    [Submitter.NONE, Submitter.PROVER, Submitter.RELAY, Submitter.SEQUENCER], dtype=np.int64
)
"""Who submitted the proof, in `kernels_slot.reward_split`'s order."""
