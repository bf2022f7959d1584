"""Confirmation times of transactions: when a transaction reaches each stage of the spec's confirmation list.

Stages (spec: the confirmation list): included in the highest-ranking proposal, with a prover commitment, data on DA,
proven and verified on L1, finalized on L1 (`environment.l1.finality_blocks` further L1 blocks). Submission is the
origin. A transaction waits w whole slots in the mempool (its age when included) and is submitted uniformly within
the L1 slots of the slot before the one it first could enter (assumption; one taken late into the block of the slot
it was submitted in counts as age 0), so its delay to a stage is U + w x slot + the stage's offset in the including
slot, U uniform on 1..slot L1 blocks.

Stage offsets come from the slot's timeline (`timeline`), in L1 slots of `l1_block_seconds` from the slot's first
block, so censorship and empty L1 slots delay them: the highest-ranking proposal is known when the proposal phase
ends (its last block); the commitment, the reveal and the proof when their transactions land. A backup-mode block
reaches every stage at once, when it lands.

The simulation accumulates, per run, histograms of included transactions by delay (L1 slots, without U) for each
channel (`CHANNELS`); `stage_histogram` turns them into each stage's, and `analysis.kpis.confirmation_table` adds U
and reads the quantiles.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.columns import Segment
from aztec_econ.model.context import Context
from aztec_econ.model.stage import Mode
from aztec_econ.model.timebase import expiry_slots
from aztec_econ.params import Params

STAGES = ("proposal", "commitment", "data_on_da", "proven", "finalized_l1")
CHANNELS = ("happy_proven", "backup_landed", "happy_proposal", "happy_commitment", "happy_reveal")
"""What the simulation accumulates: transactions by delay to the proof of happy blocks, to the landing of backup
blocks, to the end of the proposal phase, to the commitment's and to the reveal's landing in happy blocks."""
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def histogram_width(params: Params) -> int:
    """Delay bins (L1 slots) of the accumulated histograms: ages x slot + two slots (empty L1 slots can stretch a
    slot's timeline past its block count)."""
    return (expiry_slots(params) + 2) * params.protocol.slot_l1_blocks


def slot_offsets(ctx: Context, seg: Segment) -> I64:
    """Offset in the slot (L1 slots) of each channel's event (slots x runs x channels); -1 where it did not happen."""
    from aztec_econ.model.kernels_slot import confirmation_offsets

    block = float(ctx.params.protocol.l1_block_seconds)

    def field(name: str) -> I64:
        return seg.field("outcome", name)

    mode = field("mode")
    happy = mode == int(Mode.HAPPY)
    backup = mode == int(Mode.BACKUP)
    finalized = field("finalized_l1_block")
    landed = np.where(finalized >= 0, finalized - seg.slots[:, None] * ctx.slot_l1_blocks, -1)
    proposal_end = np.full(mode.shape, ctx.phases["proposal"][1] - 1)
    consolidated = ctx.params.protocol.variants.consolidate_proposal_commitment
    committed = field("proposal_block" if consolidated else "commitment_block")
    # per channel (`CHANNELS`, slots x runs x channels): the L1 block of its event and whether it counts
    at = np.stack([landed, landed, proposal_end, committed, field("reveal_block")], axis=-1)
    happened = np.stack([happy, backup, happy, happy, happy], axis=-1) & (at >= 0)
    # the events' times, gathered slot by slot from each slot's block times (runs x blocks; stacking every block's
    # time of the segment copies far more), at flat indices
    shape = seg.states[0]["l1"].seconds.shape
    if any(s["l1"].seconds.shape != shape for s in seg.states):
        raise RuntimeError("the slots of a segment have block times of different shapes")
    flat = np.maximum(at, 0) + (np.arange(shape[0]) * shape[1])[:, None]
    times = np.array([s["l1"].seconds.take(flat[i]) for i, s in enumerate(seg.states)])
    # compiled: min(ceil(time / block - 1e-9), last offset) where the event happened, else -1
    return confirmation_offsets(times, happened, block, 2 * ctx.slot_l1_blocks - 1)


def accumulate(hist: I64, included_by_age: I64, offsets: I64, slot_l1_blocks: int) -> None:
    """Add a segment's transactions to `hist` (runs x channels x delay bins) in place: each transaction included at
    age a to bin a x slot_l1_blocks + its channel's offset, where the channel's event happened (compiled:
    `kernels_slot.confirmation_bins`).

    `included_by_age`: (slots, runs, ages); `offsets`: (slots, runs, channels)."""
    from aztec_econ.model.kernels_slot import confirmation_bins

    confirmation_bins(
        hist,
        np.ascontiguousarray(included_by_age, dtype=np.int64),
        np.ascontiguousarray(offsets, dtype=np.int64),
        int(slot_l1_blocks),
    )


def stage_histogram(params: Params, hist: I64, stage: str) -> F64:
    """Transactions by delay (L1 slots, submission offset excluded) to `stage`, per run (runs x bins)."""
    finality = params.environment.l1.finality_blocks
    runs, _, width = hist.shape
    out = np.zeros((runs, width + finality))
    channel = {
        "proposal": "happy_proposal",
        "commitment": "happy_commitment",
        "data_on_da": "happy_reveal",
        "proven": "happy_proven",
        "finalized_l1": "happy_proven",
    }[stage]
    shift = finality if stage == "finalized_l1" else 0
    out[:, shift : shift + width] += (
        hist[:, CHANNELS.index(channel)] + hist[:, CHANNELS.index("backup_landed")]
    )
    return out
