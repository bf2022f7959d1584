"""Sidecar prover commitment: the winning sequencer commits to a prover, who locks `prover_bond` in escrow.

Spec (Block production 2, Provers): after an off-protocol negotiation the winner commits to a prover's address (its
own if it proves itself, or a third party's); the prover deposits a bond that is slashed if the block is not
finalized. No commitment by the end of the phase sends the slot to backup.

The winner has proving hardware with probability `self_prove_probability` and can prove itself if the sequencers'
liquid balance covers the bond; third-party provers quote when available (each is unavailable with
`unavailable_probability`) and able to cover the bond. Prices, profitability and the winner's strategy are the
prover market's (`prover_market`). Design variants: with `consolidate_proposal_commitment` a winner without a
prover has no proposal (stage NONE); with `sidecar_phase_order` the data is revealed before the commitment, so a
missed reveal means no commitment and no bond at stake.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms import prover_market
from aztec_econ.model.mechanisms.adversary import blocked
from aztec_econ.model.stage import Stage

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]


def bond_owner(prover: I64, self_proved: NDArray[np.bool_]) -> I64:
    """The ledger account that posted each run's bond: the prover's, or the sequencers' when self-proved.

    Runs without a commitment post nothing; they are pointed at the sequencers' account so the index stays valid.
    """
    return np.where(self_proved | (prover < 0), int(Account.SEQUENCERS), Account.PROVER0 + prover).astype(
        np.int64
    )


def step_commitment(ctx: Context, s: State) -> dict[str, Any]:
    p = ctx.params
    bond = float(p.protocol.prover_bond)
    book: Book = s["book"]
    draws = s["draws"]
    outcome = s["outcome"]
    proposed = outcome.stage == Stage.PROPOSED
    proposed &= ~blocked(ctx, s["adversary"], "commitment", outcome.proposer)

    variants = p.protocol.variants
    revealed = outcome.revealed
    if variants.sidecar_phase_order:  # reveal first: only revealed blocks look for a prover
        proposed &= ~blocked(ctx, s["adversary"], "reveal", outcome.proposer)
        proposed &= draws.one("reveal") >= p.agents.sequencers.reveal_failure_probability
        revealed = proposed
    can_self = draws.one("self_prove") < p.agents.sequencers.self_prove_probability
    can_self &= book.balance(int(Account.SEQUENCERS)) >= bond
    quoting = draws["prover_available"] >= p.agents.provers.unavailable_probability
    quoting &= book.prover_balances() >= bond
    econ = s["economy"]
    self_proved, prover, price = prover_market.choose(
        p,
        proposed,
        econ.prices.gas,
        prover_market.block_value(p, econ.candidate.value_to_producer),
        econ.candidate.used,
        can_self,
        quoting,
        draws.one("prover_pick"),
        ctx.economy.market,
    )
    committed = self_proved | (prover >= 0)

    amount = np.where(committed, bond, 0.0)
    book = book.post(Posting(Flow.LOCK, bond_owner(prover, self_proved), Account.BONDS, amount))
    stage = np.where(committed, Stage.COMMITTED, outcome.stage).astype(np.int8)
    proposer, proposals = outcome.proposer, outcome.proposals
    if (
        variants.consolidate_proposal_commitment
    ):  # no prover, no proposal (and no proposal transaction to pay for)
        lost = (outcome.stage == Stage.PROPOSED) & ~committed
        stage = np.where(lost, Stage.NONE, stage).astype(np.int8)
        proposer = np.where(lost, -1, proposer)
        proposals = proposals - lost
    outcome = replace(
        outcome,
        prover=prover,
        self_proved=self_proved,
        bond_locked=amount,
        stage=stage,
        prover_price=price,
        proposer=proposer,
        proposals=proposals,
        revealed=revealed,
    )
    return {"outcome": outcome, "book": book}
