"""Phase lengths, deadlines and the slot's timeline at a parameter set (issue 12; notebook 11): overrides that
lengthen one phase or scale the slot, the closed forms of proof lateness, backup skips and censored deadlines
(`expected_deadlines`, exact in `DEADLINE_SETTING`), and the deadline outcomes of a simulation. Re-exported by
`aztec_econ.analysis.expectations`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.analysis import theory
from aztec_econ.analysis.attack_expectations import CLOSED_FORM_SETTING, agrees, attacker_key_share
from aztec_econ.model.context import phase_offsets
from aztec_econ.model.mechanisms.operators import key_offline_probability
from aztec_econ.model.mechanisms.proving import decay_factor, median_seconds, missing_warning
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories


DEADLINE_SETTING: dict[str, Any] = {
    **{k: v for k, v in CLOSED_FORM_SETTING.items() if k != "agents.backup.ready_probability"},
    "environment.l1.missed_block_probability": 0.0,
    "attacks.randao.sequencer_share": 0.0,
}
"""`CLOSED_FORM_SETTING` on a nominal clock (no empty L1 slots, so every L1 block comes 12 s after the last) and
with no colluding keys (every honest proposal can be censored), honest backup builders taking part as the file
says: only time and censorship decide a slot."""

FREE_PROVERS: dict[str, Any] = {"protocol.prover_bond": 0.0, "agents.provers.cost_per_block": 0.0}
"""Provers that commit at any deadline risk: no bond to lose and no proving cost to recover, so a commitment costs
them nothing but L1 gas, which their block-reward share covers. Every landed proposal then gets a prover, and the
late-proof share is what the clock alone does."""

PHASES = ("proposal", "commitment", "reveal", "proving", "backup")
"""The phases whose lengths `protocol.<phase>_phase_l1_blocks` set, in the spec's order."""


def _phase_field(phase: str) -> str:
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}: one of {', '.join(PHASES)}")
    return f"protocol.{phase}_phase_l1_blocks"


def _phase_lengths(params: Params) -> dict[str, int]:
    pr = params.protocol
    return {phase: int(getattr(pr, f"{phase}_phase_l1_blocks")) for phase in PHASES}


def phase_overrides(params: Params, phase: str, blocks: int, taken_from: str = "slot") -> dict[str, int]:
    """Overrides that set `phase` to `blocks` L1 blocks. The difference comes from (or goes to): the slot
    (`taken_from="slot"`: the slot grows or shrinks with the phase, the other phases stay), the slot's idle blocks
    outside every phase (`"idle"`: the slot keeps its length), or another phase (e.g. `"proving"`). Raises
    ValueError if a phase would drop below one block or the phases would not fit the slot."""
    out = {_phase_field(phase): blocks}
    lengths = _phase_lengths(params)
    change = blocks - lengths[phase]
    slot = params.protocol.slot_l1_blocks
    if taken_from == "slot":
        slot += change
        out["protocol.slot_l1_blocks"] = slot
    elif taken_from != "idle":
        field = _phase_field(taken_from)
        lengths[taken_from] -= change
        out[field] = lengths[taken_from]
    lengths[phase] = blocks
    short = [name for name, length in lengths.items() if length < 1]
    if short:
        raise ValueError(
            f"a {phase} phase of {blocks} L1 blocks leaves the {', '.join(short)} phase under 1 block"
        )
    if sum(lengths.values()) > slot:
        raise ValueError(f"phases of {sum(lengths.values())} L1 blocks do not fit a slot of {slot}")
    return out


def scaled_phase_overrides(params: Params, slot_blocks: int) -> dict[str, int]:
    """Overrides for a slot of `slot_blocks` L1 blocks with every phase scaled in proportion (rounded, at least one
    block; rounding never lets the phases outgrow the slot: the longest phase gives up the excess)."""
    pr = params.protocol
    lengths = _phase_lengths(params)
    scale = slot_blocks / pr.slot_l1_blocks
    scaled = {name: max(1, round(length * scale)) for name, length in lengths.items()}
    while sum(scaled.values()) > slot_blocks:
        longest = max(scaled, key=lambda name: scaled[name])
        if scaled[longest] == 1:
            raise ValueError(f"five phases of at least 1 L1 block do not fit a slot of {slot_blocks}")
        scaled[longest] -= 1
    return {"protocol.slot_l1_blocks": slot_blocks, **{_phase_field(n): v for n, v in scaled.items()}}


def expected_block_mana(params: Params) -> float:
    """Mana of the typical block: the slot's arrivals at `environment.demand.tx_per_second`, up to the capacity
    [mana]. Exact when every block is full (demand well above capacity) or empty (no demand)."""
    d, pr = params.environment.demand, params.protocol
    return float(min(pr.block_capacity, d.tx_per_second * pr.slot_seconds * d.tx_size))


def proof_available_seconds(params: Params) -> float:
    """Seconds a prover has from the landing of its commitment (the commitment phase's first block; the proposal
    phase's first when consolidated) to the proving phase's last block, less the ramp-up warning the RANDAO lag
    leaves missing (`proving.missing_warning`), on the nominal clock (no empty L1 slots, no censorship) [s]."""
    pr = params.protocol
    phases = phase_offsets(params)
    start = phases["proposal" if pr.variants.consolidate_proposal_commitment else "commitment"][0]
    deadline = phases["proof"][1] - 1
    return float((deadline - start) * pr.l1_block_seconds - missing_warning(params))


def expected_proving_median(params: Params) -> float:
    """Median proving time of the typical block (`expected_block_mana`; `proving.median_seconds`) [s]."""
    return float(median_seconds(params, np.array([expected_block_mana(params)]))[0])


def expected_proof_late(params: Params) -> float:
    """Chance a sound, committed proof of the typical block (`expected_block_mana`) misses the proving phase's last
    block: `theory.proof_late_probability` at `proof_available_seconds` and `expected_proving_median`."""
    return theory.proof_late_probability(
        proof_available_seconds(params),
        expected_proving_median(params),
        params.agents.provers.proving_time_log_sd,
    )


def _censored(params: Params, phase: str) -> float:
    """The censoring builders' share if they censor `phase`'s transactions, else 0."""
    c = params.attacks.censorship
    return float(c.builder_share) if phase in c.phases else 0.0


def expected_backup_skip(params: Params) -> float:
    """Chance a slot in backup mode is skipped (`theory.backup_skip_probability`): each of the K builders takes part
    with its ready probability q and finishes within the phase (B L1 blocks after backup mode opens) with
    probability 1 - P(D > 12 B), D its lognormal build time; the phase's blocks censor honest submissions
    independently with the builder share c when `backup` is censored. Exact without censorship, and with it when
    builders finish before the phase's first block (D < 12 s); no pre-built attacker block (NaN with one)."""
    b, pr = params.agents.backup, params.protocol
    c = _censored(params, "backup")
    if params.attacks.censorship.prebuilt_backup and params.attacks.censorship.builder_share > 0:
        return math.nan
    blocks = pr.backup_phase_l1_blocks
    late = theory.proof_late_probability(
        blocks * pr.l1_block_seconds, b.proving_time_median_seconds, b.proving_time_log_sd
    )
    return theory.backup_skip_probability(b.count, b.ready_probability * (1.0 - late), c, blocks)


def expected_deadlines(params: Params) -> dict[str, float]:
    """Closed forms of the slot's timeline at `params`, for `sweep_table(..., expected=expected_deadlines)`.

    - `theory_share_proof_late` (`expected_proof_late`), `theory_share_proposal_censored`
      (`theory.fully_censored_probability` when proposals are censored, else 0) and `theory_backup_skip`
      (`expected_backup_skip`: the skipped share of the slots in backup mode);
    - mode shares, when every available prover commits whatever it is offered (`FREE_PROVERS`; balances covering
      bonds): happy = h (1 - (1 - a) F)(1 - late), h = `theory.happy_path_probability` (offline keys, commitments,
      reveal failures, hard faults), F the fully censored share, a the colluding keys' share (their proposals
      always land); the rest finalizes in backup mode unless skipped. NaN when commitments, reveals or proofs are
      censored (not covered);
    - `theory_finalized_per_day` = slots per day x (1 - skipped), `theory_gap_mean_minutes` = the slot's length /
      (1 - skipped) (`theory.mean_slots_between_blocks`), the point's `slots_per_day`, `theory_happy_per_day`, and
      `theory_backup_reward_factor`: the share of the block reward a backup block landing in the backup phase's
      first block keeps under `reward_decay_per_l1_block` (`proving.decay_factor`; the most a backup builder earns).
    """
    pr, c = params.protocol, params.attacks.censorship
    s, pv = params.agents.sequencers, params.agents.provers
    late = expected_proof_late(params)
    censored = 0.0
    if _censored(params, "proposal") > 0:
        censored = theory.fully_censored_probability(
            c.builder_share, pr.proposal_phase_l1_blocks, c.autocorrelation
        )
    covered = all(_censored(params, phase) == 0 for phase in ("commitment", "reveal", "proof"))
    steps = theory.happy_path_probability(
        key_offline_probability(params),
        s.proposers_per_slot,
        s.self_prove_probability,
        pv.unavailable_probability,
        pv.count,
        s.reveal_failure_probability,
        pv.failure_probability,
    )
    landed = 1.0 - (1.0 - attacker_key_share(params)) * censored
    happy = steps * landed * (1.0 - late) if covered else math.nan
    skip = expected_backup_skip(params)
    skipped = (1.0 - happy) * skip
    finalized = 1.0 - skipped
    backup_first = np.array([phase_offsets(params)["backup"][0]])
    return {
        "theory_share_proof_late": late,
        "theory_share_proposal_censored": censored,
        "theory_backup_skip": skip,
        "theory_share_happy": happy,
        "theory_share_backup": (1.0 - happy) * (1.0 - skip),
        "theory_share_skipped": skipped,
        "theory_finalized_per_day": pr.slots_per_day * finalized,
        "theory_gap_mean_minutes": (
            theory.mean_slots_between_blocks(finalized) * pr.slot_seconds / 60.0
            if finalized > 0
            else math.inf
        ),
        "slots_per_day": pr.slots_per_day,
        "theory_happy_per_day": pr.slots_per_day * happy,
        "theory_backup_reward_factor": float(decay_factor(params, backup_first)[0]),
    }


def expected_table(params: Params, points: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """`expected_deadlines` at each point (dotted overrides of `params`), one row per point with its values first:
    closed-form curves drawn through more points than a sweep simulates."""
    rows = []
    for point in points:
        rows.append({**point, **expected_deadlines(params.with_overrides(dict(point)))})
    return pd.DataFrame(rows)


def shortest_proving_phase(params: Params, late_share: float, longest: int | None = None) -> int | None:
    """The shortest proving phase [L1 blocks] whose closed-form late-proof share (`expected_proof_late`, the slot
    growing or shrinking with the phase as in `phase_overrides`) is at most `late_share`, searched up to `longest`
    (default: the current phase); None if none is."""
    top = longest if longest is not None else params.protocol.proving_phase_l1_blocks
    for blocks in range(1, top + 1):
        if (
            expected_proof_late(params.with_overrides(phase_overrides(params, "proving", blocks)))
            <= late_share
        ):
            return blocks
    return None


def with_per_day(table: pd.DataFrame) -> pd.DataFrame:
    """`table` (a `sweep_table` with `expected_deadlines`) with happy-path blocks per day, `happy_per_day` and its
    `happy_per_day_ci` (the share of happy slots x the point's slots per day)."""
    return table.assign(
        happy_per_day=table["share_happy"] * table["slots_per_day"],
        happy_per_day_ci=table["share_happy_ci"] * table["slots_per_day"],
    )


def points_agreeing(table: pd.DataFrame, share: str, expected: str, trials: str) -> tuple[int, int]:
    """(agreeing, compared): how many rows of a sweep table have the simulated proportion `share` within the
    sampling tolerance (`agrees`) of the closed form `expected`, over `trials` trials (a column: e.g.
    `slots_simulated`, `proofs`), among the rows with trials and a finite simulated value."""
    rows = table[(table[trials] > 0) & np.isfinite(table[share])]
    ok = sum(agrees(float(r[share]), float(r[expected]), int(r[trials])) for _, r in rows.iterrows())
    return ok, len(rows)


def deadline_outcomes(traj: Trajectories) -> dict[str, float]:
    """Pooled over runs, for `sweep_table(..., extra=deadline_outcomes)`:

    - `share_proof_late`: of the sound proofs of committed, revealed blocks (hard faults excluded: `backup_reason`
      `proof_failed` without `proof_late`), the share that missed the proving phase's last block, with its 95%
      normal half-width `share_proof_late_ci` and their number `proofs` (NaN shares without any);
    - `share_skipped_in_backup`: of the slots whose happy path failed, the share skipped, with
      `share_skipped_in_backup_ci` and their number `backup_slots`;
    - `finalization_minutes_mean`: mean time from a slot's first L1 block to its block's verification over the
      finalized slots [minutes].
    """
    frame = traj.frame
    hard_fault = (frame["backup_reason"] == "proof_failed") & ~frame["proof_late"]
    sound = (frame["commitment_l1_block"] >= 0) & (frame["reveal_l1_block"] >= 0) & ~hard_fault
    late, late_ci = _pooled_share(frame.loc[sound, "proof_late"].to_numpy())
    failed = frame["mode"] != "happy"
    skipped, skipped_ci = _pooled_share((frame.loc[failed, "mode"] == "skipped").to_numpy())
    done = frame["finalized_l1_block"] >= 0
    offsets = frame.loc[done, "finalized_l1_block"] - frame.loc[done, "l1_block"]
    minutes = float(offsets.mean() * traj.params.protocol.l1_block_seconds / 60.0) if done.any() else math.nan
    return {
        "share_proof_late": late,
        "share_proof_late_ci": late_ci,
        "proofs": float(sound.sum()),
        "share_skipped_in_backup": skipped,
        "share_skipped_in_backup_ci": skipped_ci,
        "backup_slots": float(failed.sum()),
        "finalization_minutes_mean": minutes,
    }


def _pooled_share(hits: NDArray[np.bool_]) -> tuple[float, float]:
    """Share of True in `hits` and its 95% normal half-width (NaN, NaN when empty)."""
    if hits.size == 0:
        return math.nan, math.nan
    share = float(hits.mean())
    return share, 1.96 * math.sqrt(share * (1 - share) / hits.size)
