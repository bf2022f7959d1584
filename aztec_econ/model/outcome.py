"""Per-slot outcome of the block-production pipeline, filled in by the mechanisms in block order.

One immutable object instead of ten state variables: cadCAD runs an update function for every state variable in
every block, so fewer variables make each slot cheaper. Mechanisms return `dataclasses.replace(outcome, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.stage import Mode, Stage, Submitter

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SlotOutcome:
    """What happened to the slot's block, per run."""

    proposer: I64
    """Winning key, -1 if no proposal landed."""
    stage: NDArray[np.int8]
    """Furthest happy-path step reached (`Stage`)."""
    prover: I64
    """Committed third-party prover, -1 if none or self-proved."""
    self_proved: NDArray[np.bool_]
    """Whether the winner committed to prove its own block."""
    bond_locked: F64
    """Bond locked by the committed prover (tokens)."""
    finalized_l1_block: I64
    """L1 block at which the slot's block was verified, -1 if skipped."""
    rewards: F64
    """Tokens minted per role: sequencer, prover, submitter, backup (runs x 4)."""
    submitter: NDArray[np.int8]
    """Who submitted the proof (`Submitter`)."""
    backup_builder: I64
    """Backup builder whose block won, -1 if none."""
    mode: NDArray[np.int8]
    """How the slot ended (`Mode`)."""
    attacker_backup: NDArray[np.bool_]
    """Whether the attacker's pre-built block won backup mode (attacks.censorship.prebuilt_backup)."""
    proposals: I64
    """Proposals that landed on L1 (each pays its gas)."""
    prover_price: F64
    """Price agreed with the committed third-party prover (tokens; paid on finalization)."""
    revealed: NDArray[np.bool_]
    """Whether the block data reached DA on the happy path (the sequencer paid for the blobs)."""

    @classmethod
    def empty(cls, runs: int) -> SlotOutcome:
        """Nothing happened yet (the state at the start of every slot)."""
        minus_one = np.full(runs, -1, dtype=np.int64)
        return cls(
            proposer=minus_one,
            stage=np.full(runs, Stage.NONE, dtype=np.int8),
            prover=minus_one,
            self_proved=np.zeros(runs, dtype=bool),
            bond_locked=np.zeros(runs),
            finalized_l1_block=minus_one,
            rewards=np.zeros((runs, 4)),
            submitter=np.full(runs, Submitter.NONE, dtype=np.int8),
            backup_builder=minus_one,
            mode=np.full(runs, Mode.SKIPPED, dtype=np.int8),
            attacker_backup=np.zeros(runs, dtype=bool),
            proposals=np.zeros(runs, dtype=np.int64),
            prover_price=np.zeros(runs),
            revealed=np.zeros(runs, dtype=bool),
        )
