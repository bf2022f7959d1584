"""Per-slot outcome of the block-production pipeline, filled in by the mechanisms in block order.

One immutable object instead of ten state variables: cadCAD runs an update function for every state variable in
every block, so fewer variables make each slot cheaper. Mechanisms return `frozen.evolve(outcome, ...)` (what
`dataclasses.replace` returns, cheaper).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.stage import BACKUP_REASONS, Mode, Role, Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.context import Context

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
    """Price agreed with the committed third-party prover (tokens; paid on finalization; negative: the prover pays)."""
    prover_break_even: F64
    """The committed third-party prover's break-even price, its cost plus risk (tokens; `prover_market`)."""
    prover_bidders: I64
    """Third-party provers that bid in the slot's auction."""
    revealed: NDArray[np.bool_]
    """Whether the block data reached DA on the happy path (the sequencer paid for the blobs)."""
    proposer_rank: I64
    """Index of the winner among the slot's candidates (0 = the top-ranked eligible key), -1 if none."""
    proposal_block: I64
    """Slot block (offset from the slot's first L1 block) where the winning proposal landed, -1 if none."""
    commitment_block: I64
    """Slot block where the prover commitment landed, -1 if none."""
    reveal_block: I64
    """Slot block where the reveal (block data to DA) landed, -1 if none."""
    proof_late: NDArray[np.bool_]
    """Whether a sound proof missed the proving phase's deadline (too slow, or censored until then)."""

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
            prover_break_even=np.zeros(runs),
            prover_bidders=np.zeros(runs, dtype=np.int64),
            revealed=np.zeros(runs, dtype=bool),
            proposer_rank=minus_one,
            proposal_block=minus_one,
            commitment_block=minus_one,
            reveal_block=minus_one,
            proof_late=np.zeros(runs, dtype=bool),
        )


COLUMNS: tuple[Column, ...] = (
    Column(
        "mode",
        "-",
        "`happy` (finalized via proposal, commitment, reveal, proof), `backup` (won in backup mode) or `skipped` "
        "(no block)",
    ),
    Column(
        "backup_reason",
        "-",
        "why the happy path failed (backup and skipped slots): `no_proposal`, `no_commitment`, `no_reveal`, "
        "`proof_failed`; `none` for happy slots",
    ),
    Column(
        "proposer",
        "key",
        "winning sequencer key (index in the run's key table), -1 if no proposal landed (or, with "
        "`protocol.variants.consolidate_proposal_commitment`, the winner found no prover)",
        dtype="int32",
    ),
    Column("prover", "prover", "committed third-party prover, -1 if none or self-proved", dtype="int32"),
    Column("self_proved", "-", "the winning sequencer committed to prove its own block"),
    Column(
        "prover_bidders",
        "provers",
        "third-party provers that bid in the slot's second-price auction (available, bond covered, block fits; "
        "`prover_market`), 0 without a proposal",
        dtype="int16",
    ),
    Column(
        "prover_agreed_price",
        "tokens",
        "price the auction set for the committed third-party prover (the second-lowest bid or the reserve; negative: "
        "the prover pays the sequencers), paid only if the slot ends happy (`prover_price`); 0 without one",
    ),
    Column(
        "prover_break_even",
        "tokens",
        "the committed third-party prover's break-even price (its cost plus risk per success: its bid); "
        "`prover_agreed_price - prover_break_even` is its expected margin; 0 without one",
    ),
    Column(
        "submitter",
        "-",
        "who submitted the proof: `prover`, `relay`, `sequencer` (self-prover), `backup` (backup builder) or `none`",
    ),
    Column(
        "backup_builder",
        "builder",
        "backup builder whose block won, -1 if none (also when the attacker's pre-built block won)",
        dtype="int32",
    ),
    Column(
        "finalized_l1_block",
        "L1 blocks",
        "L1 block at which the slot's block was verified (its proof on the happy path, its landing in backup "
        "mode), -1 if skipped",
    ),
    Column(
        "block_reward", "tokens", "tokens minted for the slot's block: the four `reward_*` columns together"
    ),
    Column(
        "reward_sequencer",
        "tokens",
        "minted to the sequencers: their share of the block reward of a proven block, plus the early-reveal bonus "
        "(`protocol.variants.early_reveal_bonus`) whenever the data was revealed",
    ),
    Column(
        "reward_prover",
        "tokens",
        "block reward to the committed prover (the sequencers' account if self-proved)",
    ),
    Column(
        "reward_submitter",
        "tokens",
        "block reward to the proof submitter (the prover, a relay, or the self-proving sequencers)",
    ),
    Column(
        "reward_backup",
        "tokens",
        "block reward to the backup builder whose block won (`protocol.backup_reward_share` of the block reward; "
        "the attacker's pre-built block included)",
    ),
    Column(
        "bond_locked",
        "tokens",
        "bond the committed prover (or the self-proving sequencers) locked in the slot; released at finalization "
        "or after a missed reveal that is not slashed, else slashed",
    ),
    Column(
        "proposals", "proposals", "proposals that landed on L1 in the slot (each pays its gas)", dtype="int16"
    ),
    Column(
        "proposal_l1_block",
        "L1 blocks",
        "L1 block where the winning proposal landed (`timeline`), -1 if none",
        dtype="int64",
    ),
    Column(
        "inclusion_delay",
        "L1 blocks",
        "blocks from the proposal phase's start to the winning proposal's landing (censoring builders delay honest "
        "proposals), -1 if no proposal won",
        dtype="int16",
    ),
    Column(
        "commitment_l1_block",
        "L1 blocks",
        "L1 block where the prover commitment landed (with the proposal when consolidated), -1 if none",
        dtype="int64",
    ),
    Column(
        "reveal_l1_block",
        "L1 blocks",
        "L1 block where the block data reached DA: the sequencer chooses when to send it (`reveal`), -1 if none",
        dtype="int64",
    ),
    Column(
        "proof_late",
        "-",
        "a sound proof missed the proving phase's last L1 block (too slow, or censored until then): the bond is "
        "slashed and the slot goes to backup",
    ),
)
"""What happened to the slot's block (`SlotOutcome`)."""


def _block(ctx: Context, seg: Segment, offset: I64) -> I64:
    """L1 block numbers of slot offsets (slots x runs; -1 stays -1)."""
    return np.where(offset >= 0, seg.slots[:, None] * ctx.slot_l1_blocks + offset, -1)


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    def field(name: str) -> NDArray[Any]:
        return seg.field("outcome", name)

    proposal_start = ctx.phases["proposal"][0]
    mode = field("mode")
    rewards = field("rewards")
    proposal_block = field("proposal_block")
    return {
        "mode": mode,
        "backup_reason": np.where(mode == int(Mode.HAPPY), len(BACKUP_REASONS) - 1, field("stage")).astype(
            np.int8
        ),
        "proposer": field("proposer"),
        "prover": field("prover"),
        "self_proved": field("self_proved"),
        "prover_bidders": field("prover_bidders"),
        "prover_agreed_price": field("prover_price"),
        "prover_break_even": field("prover_break_even"),
        "submitter": field("submitter"),
        "backup_builder": field("backup_builder"),
        "finalized_l1_block": field("finalized_l1_block"),
        "block_reward": rewards.sum(axis=-1),
        "reward_sequencer": rewards[..., Role.SEQUENCER],
        "reward_prover": rewards[..., Role.PROVER],
        "reward_submitter": rewards[..., Role.SUBMITTER],
        "reward_backup": rewards[..., Role.BACKUP],
        "bond_locked": field("bond_locked"),
        "proposals": field("proposals"),
        "proposal_l1_block": _block(ctx, seg, proposal_block),
        "inclusion_delay": np.where(proposal_block >= 0, proposal_block - proposal_start, -1),
        "commitment_l1_block": _block(ctx, seg, field("commitment_block")),
        "reveal_l1_block": _block(ctx, seg, field("reveal_block")),
        "proof_late": field("proof_late"),
    }


RECORDER = Recorder(COLUMNS, record)
