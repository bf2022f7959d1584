"""Proving: the committed prover builds the block's proof and submits it within the proving phase, or fails.

Spec (Block production 4; Registration): a prover that does not deliver in the allotted time loses its bond and the
slot goes to backup. Failure chance: `agents.provers.failure_probability` (assumption). When the proof lands inside
the phase is uniform over its L1 blocks (assumption); slashed bonds are burned (assumption).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.mechanisms.adversary import proof_landing
from aztec_econ.model.mechanisms.prover_market import prover_failures
from aztec_econ.model.stage import Stage
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def failure_of(params: Params, prover: NDArray[np.int64]) -> NDArray[np.float64]:
    """Failure chance of each run's committed prover (`prover_market`); the mean one for a self-prover."""
    mean = params.agents.provers.failure_probability
    fails = prover_failures(params)
    if params.agents.provers.failure_spread == 0 or fails.size == 0:
        return np.full(prover.shape, mean)
    return np.where(prover >= 0, fails[np.maximum(prover, 0)], mean)


def step_proving(ctx: Context, s: State) -> dict[str, Any]:
    pr = ctx.params.protocol
    outcome = s["outcome"]
    revealed = outcome.stage == Stage.REVEALED
    proven = revealed & (s["draws"].one("proof") >= failure_of(ctx.params, outcome.prover))
    delay = np.floor(s["draws"].one("proof_delay") * pr.proving_phase_l1_blocks).astype(np.int64)
    lands, delay = proof_landing(ctx, s["adversary"], outcome.proposer, delay)
    proven &= lands
    failed = np.where(revealed & ~proven, outcome.bond_locked, 0.0)
    book: Book = s["book"].post(Posting(Flow.SLASH, Account.BONDS, None, failed))
    phase_start, _ = ctx.phase_window("proof", s["slot"])
    outcome = replace(
        outcome,
        stage=np.where(proven, Stage.PROVEN, outcome.stage).astype(np.int8),
        finalized_l1_block=np.where(proven, phase_start + delay, -1),
    )
    return {"outcome": outcome, "book": book}
