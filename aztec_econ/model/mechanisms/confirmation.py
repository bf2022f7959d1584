"""Confirmation times of transactions: when a transaction reaches each stage of the spec's confirmation list.

Stages (spec: the confirmation list): included in the highest-ranking proposal, with a prover commitment, data on DA,
proven and verified on L1, finalized on L1 (`environment.l1.finality_blocks` further L1 blocks). Submission is the
origin. A transaction waits w whole slots in the mempool (its age when included) and is submitted uniformly within
the L1 blocks of the slot before the one it first could enter (assumption), so its delay to a stage is
U + w x slot + the stage's offset in the including slot, U uniform on 1..slot L1 blocks.

Stage offsets within the including slot (L1 blocks from its first block; assumptions where the spec gives only phase
lengths): the winning proposal's L1 block (the censorship inclusion delay, 0 without censorship); the commitment
and the reveal in the first L1 block of their phases (in the Sidecar order the reveal comes first; consolidated, the
commitment lands with the proposal); the proof at its L1 block (`finalized_l1_block`). A backup-mode block reaches
every stage at once, when it lands.

The simulation accumulates, per run and stage, a histogram of included transactions by delay (L1 blocks, without
U); `metrics.confirmation_table` adds U and reads the quantiles.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.outcome import SlotOutcome
from aztec_econ.model.stage import Mode
from aztec_econ.params import Params

STAGES = ("proposal", "commitment", "data_on_da", "proven", "finalized_l1")
I64 = NDArray[np.int64]


def histogram_width(params: Params) -> int:
    """Delay bins (L1 blocks) a histogram needs: ages x slot + slot + finality + 1."""
    pr = params.protocol
    return (
        params.environment.demand.expiry_slots * pr.slot_l1_blocks
        + pr.slot_l1_blocks
        + (params.environment.l1.finality_blocks)
        + 1
    )


def stage_offsets(params: Params, out: SlotOutcome, slot: int, inclusion_delay: I64) -> I64:
    """Offset of each stage in the slot (runs x stages, L1 blocks); -1 where the slot produced no block."""
    pr = params.protocol
    v = pr.variants
    first = slot * pr.slot_l1_blocks
    proven = out.finalized_l1_block - first
    proposal = np.maximum(inclusion_delay, 0)
    p_end = pr.proposal_phase_l1_blocks
    if v.consolidate_proposal_commitment:
        commitment = proposal
        reveal = np.full_like(proposal, p_end + pr.commitment_phase_l1_blocks)
    elif v.sidecar_phase_order:
        reveal = np.full_like(proposal, p_end)
        commitment = np.full_like(proposal, p_end + pr.reveal_phase_l1_blocks)
    else:
        commitment = np.full_like(proposal, p_end)
        reveal = np.full_like(proposal, p_end + pr.commitment_phase_l1_blocks)
    happy = np.stack(
        [proposal, commitment, reveal, proven, proven + params.environment.l1.finality_blocks], axis=1
    )
    backup = np.stack([proven] * 4 + [proven + params.environment.l1.finality_blocks], axis=1)
    offsets = np.where((out.mode == Mode.HAPPY)[:, None], happy, backup)
    return np.where((out.mode == Mode.SKIPPED)[:, None], -1, offsets).astype(np.int64)


def accumulate(hist: I64, included_by_age: I64, offsets: I64, slot_l1_blocks: int) -> None:
    """Add a segment's transactions to `hist` (runs x stages x delay bins) in place.

    `included_by_age`: (slots, runs, ages); `offsets`: (slots, runs, stages)."""
    _, runs, ages = included_by_age.shape
    stages, width = hist.shape[1], hist.shape[2]
    delay = np.arange(ages)[None, None, None, :] * slot_l1_blocks + offsets[:, :, :, None]
    weight = np.broadcast_to(included_by_age[:, :, None, :], delay.shape)
    keep = (offsets[:, :, :, None] >= 0) & (weight > 0)
    row = np.arange(runs)[None, :, None, None] * stages + np.arange(stages)[None, None, :, None]
    index = (row * width + delay)[keep]
    hist += np.bincount(index, weights=weight[keep], minlength=hist.size).astype(np.int64).reshape(hist.shape)
