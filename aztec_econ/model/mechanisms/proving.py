"""Proving: the committed prover proves the block and its proof must land by the proving phase's last L1 block.

Spec (Block production 4; Registration): a prover that does not deliver in the allotted time loses its bond and the
slot goes to backup. Work takes time (assumptions, documented in `agents.provers`):
- the prover starts when its commitment lands (it has the block from the sequencer);
- it needs `ramp_up_seconds` of warning to have its hardware ready; the election is known `randao_lag_l1_blocks`
  blocks before the slot (spec: Constraining Randao), so with less warning it starts late by the difference;
- proving takes D = median x (0.5 + 0.5 x mana used / capacity) x exp(log_sd x Z), Z standard normal (a fixed part
  plus a part per transaction; `proving_time` draw), the same distribution for a self-proving sequencer; the mana
  is the candidate block's at the commitment: transactions a late reveal adds (`reveal`, `market.late_inclusions`)
  are proven with it at no extra time (assumption: they are a small tail of the block, and the prover, who starts
  at the commitment, cannot know them then; a known simplification);
- the proof is sent when ready and lands in the first block of the proving phase built at or after then whose builder
  includes it (`timeline.land`); none by the phase's last block is a late proof: the bond is slashed like a hard
  fault (`failure_probability`, drawn independently). Slashed bonds are burned (assumption).
`outlook` is what a prover expects of this when it quotes (`prover_market.choose`); `commitment_outlook` is the
slot's, computed once with its candidate block (`market.prepare`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from aztec_econ.model import kernels_phases
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Flow, Posting
from aztec_econ.model.mechanisms.adversary import includes_for
from aztec_econ.model.rng import normal_quantiles
from aztec_econ.model.stage import Stage
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
_NO_FAILURES = np.zeros(0, dtype=np.float64)
_NODES = ndtri((np.arange(32) + 0.5) / 32)
"""Standard-normal quantile midpoints: the quadrature of `outlook`'s expected reward factor."""


def median_seconds(params: Params, used: F64) -> F64:
    """Median proving time of a block of `used` mana [s]."""
    pv = params.agents.provers
    return pv.proving_time_median_seconds * (0.5 + 0.5 * np.asarray(used) / params.protocol.block_capacity)


def missing_warning(params: Params) -> float:
    """Seconds of ramp-up the RANDAO lag's warning leaves missing (0 when the lag is long enough)."""
    pr = params.protocol
    return max(0.0, params.agents.provers.ramp_up_seconds - pr.randao_lag_l1_blocks * pr.l1_block_seconds)


def decay_factor(params: Params, landed: I64) -> F64:
    """Share of the block reward left when the proof (or a backup block) lands at slot block `landed`: the design
    variant `reward_decay_per_l1_block` shrinks it linearly with the blocks since the proving phase opened."""
    decay = params.protocol.variants.reward_decay_per_l1_block
    if decay == 0:
        return np.ones(landed.shape)
    opens = params.protocol.proposal_phase_l1_blocks
    opens += params.protocol.commitment_phase_l1_blocks + params.protocol.reveal_phase_l1_blocks
    return np.clip(1.0 - decay * np.maximum(landed - opens, 0), 0.0, 1.0)


def outlook(ctx: Context, median: F64, start: float) -> tuple[F64, F64]:
    """(chance the proof lands by the deadline, expected reward factor given it does) for a prover that starts at
    `start` seconds into the slot on a block whose median proving time is `median` per run (`median_seconds`), as
    the prover can know them when it quotes: nominal block times (no empty L1 slots, no censorship), its own
    proving-time distribution, the missing warning and the reward decay. The time it has left is the same for every
    run; its logarithm is taken once per simulation (`_log_seconds`)."""
    p = ctx.params
    first, end = ctx.phases["proof"]
    block = float(p.protocol.l1_block_seconds)
    deadline = (end - 1) * block
    ready = float(start) + missing_warning(p)
    sd = p.agents.provers.proving_time_log_sd
    room = deadline - ready  # seconds from the start of the work to the deadline
    with np.errstate(divide="ignore", invalid="ignore"):
        if sd <= 0:
            on_time = (median <= room).astype(np.float64)
        elif room > 0:
            on_time = ndtr((_log_seconds(max(room, 1e-300), median.size) - np.log(median)) / sd)
        else:
            on_time = np.zeros(median.shape)
    if p.protocol.variants.reward_decay_per_l1_block == 0:
        return on_time, np.ones(on_time.shape)
    lands = ready + median[:, None] * np.exp(sd * _NODES[None, :])
    at = np.maximum(first, np.ceil(lands / block - 1e-9)).astype(np.int64)
    ok = at <= end - 1
    factor = decay_factor(p, at) * ok
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = factor.sum(axis=1) / ok.sum(axis=1)
    return on_time, np.where(ok.any(axis=1), mean, 1.0)


@functools.lru_cache(maxsize=16)
def _log_seconds(seconds: float, runs: int) -> F64:
    """log(`seconds`) for each of `runs` runs, read-only: numpy's logarithm of a contiguous array, as the runs'
    own arrays take it (numpy's SIMD logarithm can round differently from a scalar one), computed once."""
    out = np.log(np.full(runs, seconds))
    out.flags.writeable = False
    return out


def commitment_outlook(ctx: Context, median: F64) -> tuple[F64, F64]:
    """`outlook` of a prover that starts at the first nominal second of the phase whose transaction carries the
    commitment (the proposal phase's under `consolidate_proposal_commitment`, else the commitment phase's), for a
    block of `median` proving time per run (`median_seconds`): what every quote of the slot is priced on
    (`sidecar`)."""
    phase = "proposal" if ctx.params.protocol.variants.consolidate_proposal_commitment else "commitment"
    return outlook(ctx, median, float(ctx.l1_seconds[0, ctx.phases[phase][0]]))


def step_proving(ctx: Context, s: State) -> dict[str, Any]:
    """The revealed block's proof: hard fault, or the proving time decides whether it lands by the deadline
    (compiled after the proving time: `kernels_phases.proof_outcome`)."""
    p = ctx.params
    pv = p.agents.provers
    outcome = s["outcome"]
    # the provers' `prover_failures` (a self-prover fails at the mean), or none where they all fail at the mean
    fails = ctx.economy.market.failure[: pv.count] if pv.failure_spread != 0 else _NO_FAILURES
    z = normal_quantiles(s["draws"].one("proving_time"), 1e-16)
    duration = s["economy"].candidate.proving_median * np.exp(pv.proving_time_log_sd * z)
    first, end = ctx.phases["proof"]
    stage, finalized, late, failed = kernels_phases.proof_outcome(
        outcome.stage,
        outcome.prover,
        np.ascontiguousarray(fails, dtype=np.float64),
        float(pv.failure_probability),
        s["draws"].one("proof"),
        duration,
        s["l1"].seconds,
        outcome.commitment_block,
        float(missing_warning(p)),
        includes_for(ctx, s["adversary"], "proof", outcome.proposer),
        first,
        end,
        outcome.bond_locked,
        s["slot"] * ctx.slot_l1_blocks,
        int(Stage.REVEALED),
        int(Stage.PROVEN),
    )
    book = s["book"].post(Posting(Flow.SLASH, Account.BONDS, None, failed))
    outcome = evolve(outcome, stage=stage, finalized_l1_block=finalized, proof_late=late)
    return {"outcome": outcome, "book": book}
