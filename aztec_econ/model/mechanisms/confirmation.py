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

The simulation accumulates, per run, three histograms of included transactions by delay (L1 blocks, without U):
to the proof of happy blocks, to the landing of backup blocks, to the winning proposal of happy blocks
(`CHANNELS`); the other stages are fixed shifts of these (`stage_histogram`). `metrics.confirmation_table` adds U
and reads the quantiles.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.outcome import SlotOutcome
from aztec_econ.model.stage import Mode
from aztec_econ.params import Params

STAGES = ("proposal", "commitment", "data_on_da", "proven", "finalized_l1")
CHANNELS = ("happy_proven", "backup_landed", "happy_proposal")
"""What the simulation accumulates: transactions by delay to the proof of happy blocks, to the landing of backup
blocks, and to the winning proposal of happy blocks. Every stage follows from these (`stage_histogram`)."""
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def histogram_width(params: Params) -> int:
    """Delay bins (L1 blocks) of the accumulated histograms: ages x slot + slot."""
    pr = params.protocol
    return (params.environment.demand.expiry_slots + 1) * pr.slot_l1_blocks


def slot_offsets(params: Params, out: SlotOutcome, slot: int, inclusion_delay: I64) -> I64:
    """Offset in the slot (L1 blocks) of each channel's event (runs x channels); -1 where it did not happen."""
    first = slot * params.protocol.slot_l1_blocks
    landed = out.finalized_l1_block - first
    happy = out.mode == Mode.HAPPY
    backup = out.mode == Mode.BACKUP
    return np.stack(
        [
            np.where(happy, landed, -1),
            np.where(backup, landed, -1),
            np.where(happy, np.maximum(inclusion_delay, 0), -1),
        ],
        axis=1,
    ).astype(np.int64)


def accumulate(hist: I64, included_by_age: I64, offsets: I64, slot_l1_blocks: int) -> None:
    """Add a segment's transactions to `hist` (runs x channels x delay bins) in place.

    `included_by_age`: (slots, runs, ages); `offsets`: (slots, runs, channels)."""
    channels, width = hist.shape[1], hist.shape[2]
    t, r, a = np.nonzero(included_by_age)
    weight = included_by_age[t, r, a]
    for c in range(channels):
        off = offsets[t, r, c]
        keep = off >= 0
        index = (r[keep] * channels + c) * width + a[keep] * slot_l1_blocks + off[keep]
        hist += (
            np.bincount(index, weights=weight[keep], minlength=hist.size).astype(np.int64).reshape(hist.shape)
        )


def stage_histogram(params: Params, hist: I64, stage: str) -> F64:
    """Transactions by delay (L1 blocks, submission offset excluded) to `stage`, per run (runs x bins)."""
    pr = params.protocol
    v = pr.variants
    slot = pr.slot_l1_blocks
    extra = pr.phase_l1_blocks + params.environment.l1.finality_blocks
    runs, _, width = hist.shape
    out = np.zeros((runs, width + extra))
    backup = hist[:, 1].astype(np.float64)
    proposal = hist[:, 2].astype(np.float64)
    if stage in ("proven", "finalized_l1"):
        shift = params.environment.l1.finality_blocks if stage == "finalized_l1" else 0
        out[:, shift : shift + width] += hist[:, 0] + backup
        return out
    out[:, :width] += backup
    if stage == "proposal" or (stage == "commitment" and v.consolidate_proposal_commitment):
        out[:, :width] += proposal
        return out
    # commitment and reveal land in the first L1 block of their phases: ages only, then a fixed offset
    by_age = np.zeros((runs, width))
    by_age[:, ::slot] = proposal.reshape(runs, -1, slot).sum(axis=2)
    p, c, r = pr.proposal_phase_l1_blocks, pr.commitment_phase_l1_blocks, pr.reveal_phase_l1_blocks
    if stage == "commitment":
        shift = p + r if v.sidecar_phase_order else p
    else:
        shift = p if v.sidecar_phase_order else p + c
    out[:, shift : shift + width] += by_age
    return out
