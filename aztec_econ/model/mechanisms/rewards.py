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

from aztec_econ.model import kernels_phases
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms.prover_market import GWEI
from aztec_econ.model.mechanisms.proving import decay_factor
from aztec_econ.model.stage import Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def step_finalization(ctx: Context, s: State) -> dict[str, Any]:
    """Mint the proven block's reward to the sequencer, the prover and the submitter (a relay when it pays, else
    the prover), release the bond (module docstring); compiled (`kernels_phases.reward_outcome`)."""
    p = ctx.params
    split = p.protocol.reward_split
    outcome = s["outcome"]
    decay = _NO_DECAY
    if p.protocol.variants.reward_decay_per_l1_block > 0:  # design variant: the later the proof, the less
        decay = decay_factor(p, outcome.finalized_l1_block - s["slot"] * ctx.slot_l1_blocks)
    prices = s["economy"].prices
    minted, rewards, prover_account, submitter_account, unlock, submitter = kernels_phases.reward_outcome(
        outcome.stage,
        int(Stage.PROVEN),
        float(p.protocol.block_reward),
        np.ascontiguousarray(decay, dtype=np.float64),
        np.array([split.sequencer, split.prover, split.submitter], dtype=np.float64),
        s["draws"].one("relay"),
        float(p.agents.relays.submission_share),
        float(p.protocol.l1_gas.verification),  # a relay submits only when paid enough (`relay_pays`)
        prices.gas,
        prices.eth_per_token,
        GWEI,
        outcome.prover,
        outcome.self_proved,
        _ACCOUNTS,
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


_NO_DECAY = np.zeros(0, dtype=np.float64)
_ACCOUNTS = np.array([Account.SEQUENCERS, Account.PROVER0, Account.RELAYS], dtype=np.int64)
"""`kernels_phases.reward_outcome`'s accounts: the sequencers', the first prover's, the relays'."""
_SUBMITTERS = np.array(
    [Submitter.NONE, Submitter.PROVER, Submitter.RELAY, Submitter.SEQUENCER], dtype=np.int64
)
"""Who submitted the proof, in `kernels_phases.reward_outcome`'s order."""
