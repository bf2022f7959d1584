"""Series and expectations the notebooks analyse: per-slot aggregates over runs, waiting times, Lorenz points, and the
closed forms of `aztec_econ.analysis.theory` evaluated at a parameter set.

Every function reads the documented output tables (docs/outputs.md); figures are drawn from these by
`aztec_econ.publish.plots`. Times are in days or minutes as the names say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.analysis import theory
from aztec_econ.analysis.tables import sequencer_rewards_per_key, vote_table, vote_window_slots
from aztec_econ.model.context import phase_offsets
from aztec_econ.model.mechanisms.operators import key_offline_probability
from aztec_econ.model.mechanisms.proving import decay_factor, median_seconds, missing_warning
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

MODE_NAMES = ("happy", "backup", "skipped")


def expected_mode_shares(params: Params) -> dict[str, float]:
    """Long-run share of slots per mode from the closed forms (balances assumed to cover bonds)."""
    s, pv, b = params.agents.sequencers, params.agents.provers, params.agents.backup
    happy = theory.happy_path_probability(
        key_offline_probability(params),
        s.proposers_per_slot,
        s.self_prove_probability,
        pv.unavailable_probability,
        pv.count,
        s.reveal_failure_probability,
        pv.failure_probability,
    )
    return theory.mode_shares(happy, theory.backup_success_probability(b.count, b.ready_probability))


def expected_slashing_probability(params: Params) -> float:
    """Chance per slot that a prover bond is slashed, from the closed forms (balances assumed to cover bonds)."""
    s, pv = params.agents.sequencers, params.agents.provers
    return theory.slashing_probability(
        1 - theory.no_proposal_probability(key_offline_probability(params), s.proposers_per_slot),
        theory.commitment_probability(s.self_prove_probability, pv.unavailable_probability, pv.count),
        s.reveal_failure_probability,
        pv.failure_probability,
        params.protocol.slash_bond_on_missed_reveal,
    )


def expected_queues(params: Params) -> dict[str, float]:
    """Mean keys in the entry and exit queues by Little's law (valid without a churn limit) [keys]."""
    s, pr = params.agents.sequencers, params.protocol
    return {
        "queued_sequencers": theory.queue_length(s.registrations_per_day, pr.entry_period_days),
        "exiting_sequencers": theory.queue_length(s.exits_per_day, pr.exit_delay_days),
    }


def slot_days(params: Params) -> float:
    """Length of a slot [days]."""
    return 1.0 / params.protocol.slots_per_day


def _thin(frame: pd.DataFrame, points: int) -> pd.DataFrame:
    """Every k-th row (and the last) so that at most about `points` rows remain: keeps figures small."""
    step = max(1, len(frame) // max(points, 1))
    if len(frame) == 0:
        return frame
    keep = np.unique(np.concatenate([np.arange(0, len(frame), step), [len(frame) - 1]]))
    return frame.iloc[keep].reset_index(drop=True)


BAND = (0.10, 0.90)
"""Quantiles over runs of the bands drawn around time series (p10-p90)."""


def mode_share_series(traj: Trajectories, window_slots: int = 144, points: int = 500) -> pd.DataFrame:
    """Per slot: the share of slots in each mode, as a trailing mean over `window_slots` slots, thinned to about
    `points` rows. Columns: `day`; per mode its mean over runs (`{mode}`) and the 10th and 90th percentiles over
    runs of the per-run trailing share (`{mode}_p10`, `{mode}_p90`) [share]."""
    frame = traj.frame
    onehot = pd.get_dummies(frame["mode"]).astype(float).reindex(columns=list(MODE_NAMES), fill_value=0.0)
    onehot["slot"] = frame["slot"].to_numpy()
    onehot["run"] = frame["run"].to_numpy()
    window = max(1, window_slots)
    per_run = onehot.pivot_table(index="slot", columns="run", values=list(MODE_NAMES), aggfunc="mean")
    smooth = per_run.rolling(window, min_periods=1).mean()
    out = pd.DataFrame(index=smooth.index)
    for mode in MODE_NAMES:
        runs = smooth[mode]
        out[mode] = runs.mean(axis=1)
        out[f"{mode}_p10"] = runs.quantile(BAND[0], axis=1)
        out[f"{mode}_p90"] = runs.quantile(BAND[1], axis=1)
    out.insert(0, "day", out.index.to_numpy() * slot_days(traj.params))
    return _thin(out.reset_index(drop=True), points)


def mean_over_runs(traj: Trajectories, columns: list[str], points: int = 500) -> pd.DataFrame:
    """Per slot: mean, 10th and 90th percentile over runs of each column, thinned to about `points` rows; columns
    `slot`, `day`, `{col}`, `{col}_p10`, `{col}_p90`."""
    grouped = traj.frame.groupby("slot")[columns]
    out = grouped.mean()
    for q, suffix in ((BAND[0], "_p10"), (BAND[1], "_p90")):
        out = out.join(grouped.quantile(q).add_suffix(suffix))
    out.insert(0, "day", out.index.to_numpy() * slot_days(traj.params))
    return _thin(out.reset_index(), points)


def gaps_minutes(traj: Trajectories) -> NDArray[np.float64]:
    """Every time between consecutive finalized blocks of the same run [minutes]."""
    done = traj.frame.loc[traj.frame["finalized_l1_block"] >= 0, ["run", "finalized_l1_block"]]
    runs = done["run"].to_numpy()
    blocks = done["finalized_l1_block"].to_numpy()
    same = runs[1:] == runs[:-1]
    return np.asarray(np.diff(blocks)[same] * traj.params.protocol.l1_block_seconds / 60.0, dtype=np.float64)


def waiting_days(traj: Trajectories) -> pd.DataFrame:
    """Per key registered during the horizon: days from registration to eligibility (`entry_days`) and, for keys that
    signalled exit and were released, from exit signal to release (`exit_days`, NaN otherwise)."""
    keys = traj.keys
    per_day = traj.params.protocol.blocks_per_day
    new = keys[keys["registered_l1_block"] >= 0]
    entry = (new["eligible_l1_block"] - new["registered_l1_block"]) / per_day
    left = keys[(keys["exit_signal_l1_block"] >= 0) & (keys["release_l1_block"] >= 0)]
    exit_days = (left["release_l1_block"] - left["exit_signal_l1_block"]) / per_day
    return pd.DataFrame(
        {"entry_days": entry.reset_index(drop=True), "exit_days": exit_days.reset_index(drop=True)}
    )


def lorenz_points(
    values: NDArray[np.float64], points: int = 400
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lorenz curve of non-negative values: (population share, cumulative value share), both from 0 to 1, at about
    `points` evenly spaced ranks (the curve is piecewise linear, so nothing is lost at the plotted resolution)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    total = x.sum()
    population = np.linspace(0.0, 1.0, x.size + 1)
    share = np.concatenate([[0.0], np.cumsum(x) / total]) if total > 0 else population
    keep = np.unique(np.linspace(0, x.size, min(points, x.size + 1)).round().astype(int))
    return population[keep], share[keep]


def sequencer_rewards(traj: Trajectories, run: int | None = None) -> NDArray[np.float64]:
    """Sequencer rewards per key (keys eligible at some point) of one run (default: the first) [tokens]."""
    table = sequencer_rewards_per_key(traj)
    chosen = int(table["run"].min()) if run is None else run
    return np.asarray(table.loc[table["run"] == chosen, "reward"].to_numpy(), dtype=np.float64)


def luck_only_win_mean(traj: Trajectories) -> float:
    """Mean rewarded wins per key of the first run if every key were eligible all along and wins were luck alone:
    slots paying a sequencer reward / mean eligible keys [wins per key]. `theory.poisson_gini` is evaluated at it."""
    frame = traj.frame
    first = frame["run"] == frame["run"].min()
    wins = float((frame.loc[first, "reward_sequencer"] > 0).sum())
    return wins / float(frame.loc[first, "active_sequencers"].mean())


# ---------------------------------------------------------------------------------------------------------------------
# The attack and governance closed forms (issue 4; notebooks 04-06, swept with `aztec_econ.sweep.runner.sweep_table`)

CLOSED_FORM_SETTING: dict[str, Any] = {
    "agents.sequencers.offline_probability": 0.0,
    "agents.operators.outage_rate_per_day": 0.0,
    "agents.sequencers.registrations_per_day": 0.0,
    "agents.sequencers.exits_per_day": 0.0,
    "agents.sequencers.self_prove_probability": 0.0,
    "agents.provers.unavailable_probability": 0.0,
    "agents.sequencers.reveal_failure_probability": 0.0,
    "agents.provers.failure_probability": 0.0,
    "agents.backup.ready_probability": 0.0,
}
"""Overrides under which the attack and vote closed forms are exact: every key online, a fixed key set, nothing on
the happy path fails (so each slot's winner is a uniformly random key and every slot yields a counted block), and
no honest backup builder races a colluding attacker's pre-built block."""


def attacker_key_share(params: Params) -> float:
    """Share of the initial keys the attacker owns: round(p x keys) / keys (its honest slot share)."""
    keys = params.agents.sequencers.initial
    return round(params.attacks.randao.sequencer_share * keys) / keys


def expected_randao(params: Params) -> dict[str, float]:
    """Closed forms of the RANDAO attack at `params` (exact in `CLOSED_FORM_SETTING`): the attacker's slot share
    (`theory_attacker_share`) and L1 blocks withheld per slot (`theory_withheld_per_slot`). `none`: its key share, 0;
    `reroll`: `theory.reroll_attacker_share`, `theory.reroll_withheld_per_slot`; `tail` has no closed form (NaN)."""
    r = params.attacks.randao
    a = attacker_key_share(params)
    if r.strategy == "none" or r.l1_proposer_share == 0:
        return {"theory_attacker_share": a, "theory_withheld_per_slot": 0.0}
    if r.strategy == "reroll":
        return {
            "theory_attacker_share": theory.reroll_attacker_share(r.l1_proposer_share, a),
            "theory_withheld_per_slot": theory.reroll_withheld_per_slot(r.l1_proposer_share, a),
        }
    return {"theory_attacker_share": math.nan, "theory_withheld_per_slot": math.nan}


def expected_censorship(params: Params) -> dict[str, float]:
    """Closed forms of L1 censorship of the proposal phase at `params` (exact in `CLOSED_FORM_SETTING`):

    - `theory_share_proposal_censored`: F = `theory.fully_censored_probability(c, P, rho)`;
    - `theory_attacker_share`: a + (1 - a) F W with a pre-built backup (an honest winner's fully censored phase
      opens backup mode, where the attacker's block lands in the first block a colluding builder builds: W = the
      chance the backup phase has one, 1 - `fully_censored_probability(1 - c, B, rho)`, treating the phases, 30 and
      more blocks apart, as independent; exact only without honest backup builders, NaN with them), else a
      (a = `attacker_key_share`; the attacker's own proposals always land);
    - `theory_inclusion_delay_mean`: mean delay over slots whose proposal landed: the attacker's (delay 0, weight a)
      and the honest ones that landed (`theory.inclusion_delay_mean` within the phase, weight (1 - a)(1 - F)).
    """
    c = params.attacks.censorship
    phase = params.protocol.proposal_phase_l1_blocks
    a = attacker_key_share(params)
    full = theory.fully_censored_probability(c.builder_share, phase, c.autocorrelation)
    landed_honest = (1 - a) * (1 - full)
    delay = (
        theory.inclusion_delay_mean(c.builder_share, c.autocorrelation, phase) if c.builder_share < 1 else 0.0
    )
    weight = landed_honest / (a + landed_honest) if a + landed_honest > 0 else 0.0
    colluding = 1.0 - theory.fully_censored_probability(
        1.0 - c.builder_share, params.protocol.backup_phase_l1_blocks, c.autocorrelation
    )
    if not c.prebuilt_backup:
        attacker = a
    elif params.agents.backup.ready_probability > 0:
        attacker = math.nan  # honest builders race it: no closed form
    else:
        attacker = a + (1 - a) * full * colluding
    return {
        "theory_share_proposal_censored": full,
        "theory_attacker_share": attacker,
        "theory_inclusion_delay_mean": weight * delay,
    }


def proposal_phase_overrides(params: Params, blocks: int) -> dict[str, int]:
    """Overrides that set the proposal phase to `blocks` L1 blocks and keep the slot's length, taking the difference
    from (or giving it to) the proving phase (the phases fill the slot in the baseline)."""
    pr = params.protocol
    proving = pr.proving_phase_l1_blocks - (blocks - pr.proposal_phase_l1_blocks)
    if blocks < 1 or proving < 1:
        raise ValueError(
            f"a proposal phase of {blocks} L1 blocks leaves {proving} for the proving phase (at least 1 needed)"
        )
    return {"protocol.proposal_phase_l1_blocks": blocks, "protocol.proving_phase_l1_blocks": proving}


def effective_support(params: Params) -> float:
    """Expected share of counted blocks carrying a yes vote, from the closed forms (constant support, nothing fails):
    s = round(support_share x keys) / keys, unless the attacker votes its own way: with attacker slot share a'
    (its key share, or `theory.reroll_attacker_share` under `reroll`), `yes` gives a' + (1 - a') s and `no`
    (1 - a') s (non-attacker keys support in proportion s on average)."""
    keys = params.agents.sequencers.initial
    g = params.governance
    s = round(g.support_share * keys) / keys
    if g.attacker_vote == "follow":
        return s
    r = params.attacks.randao
    a = attacker_key_share(params)
    if r.strategy == "reroll":
        a = theory.reroll_attacker_share(r.l1_proposer_share, a)
    return a + (1 - a) * s if g.attacker_vote == "yes" else (1 - a) * s


def expected_votes(params: Params) -> dict[str, float]:
    """The vote closed forms' inputs at `params`, for `sweep_table(..., expected=expected_votes)`: the expected yes share
    (`support`, `effective_support`) and the slots per window (`window_slots`)."""
    return {"support": effective_support(params), "window_slots": float(vote_window_slots(params))}


def vote_outcomes(traj: Trajectories) -> dict[str, float]:
    """Pass probability of the complete vote windows of `traj` pooled over runs (`pass_share`, with a 95% normal
    half-width `pass_share_ci`), the number of windows
    (`windows`), the mean counted blocks per window (`blocks_per_window`), and the binomial closed form given each
    window's counted blocks, averaged over windows (`theory_pass_share`: `theory.vote_pass_probability` at
    `effective_support`; exact when nothing fails and the attacker follows)."""
    table = vote_table(traj)
    complete = table[table["complete"]]
    if complete.empty:
        nan = math.nan
        return {
            "pass_share": nan,
            "pass_share_ci": nan,
            "windows": 0.0,
            "blocks_per_window": nan,
            "theory_pass_share": nan,
        }
    support = effective_support(traj.params)
    threshold = traj.params.protocol.upgrade_vote_threshold
    counts = complete["proposed"].value_counts()
    pass_theory = sum(
        theory.vote_pass_probability(int(n), support, threshold) * int(w) for n, w in counts.items() if n > 0
    ) / len(complete)
    share = float(complete["passed"].mean())
    return {
        "pass_share": share,
        "pass_share_ci": 1.96 * math.sqrt(share * (1 - share) / len(complete)),
        "windows": float(len(complete)),
        "blocks_per_window": float(complete["proposed"].mean()),
        "theory_pass_share": float(pass_theory),
    }


def pass_probability_curve(
    supports: NDArray[np.float64], blocks: int, threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The binomial pass probability (`theory.vote_pass_probability`) of windows of `blocks` counted blocks at each
    support share: (supports, probabilities), for drawing next to simulated points."""
    x = np.asarray(supports, dtype=np.float64)
    return x, np.array([theory.vote_pass_probability(blocks, float(s), threshold) for s in x])


def agrees(simulated: float, expected: float, n: int) -> bool:
    """Whether a simulated proportion over `n` trials is within `theory.proportion_tolerance` of `expected`."""
    return abs(simulated - expected) <= theory.proportion_tolerance(expected, n)


# ---------------------------------------------------------------------------------------------------------------------
# Phase lengths, deadlines and the slot's timeline (issue 12; notebook 11)

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


AUCTION_SETTING: dict[str, Any] = {
    "agents.sequencers.self_prove_probability": 0.0,
    "agents.sequencers.reveal_failure_probability": 0.0,
    "agents.provers.proving_time_log_sd": 0.0,
    "environment.demand.tx_per_second": 0.0,
    "environment.l1.process": "steady",
}
"""Where `expected_auction` is exact: no self-proving, no reveal risk, proofs on time, no fees or MEV (a constant
block value), steady L1 prices."""


def expected_auction(params: Params) -> dict[str, float]:
    """The prover auction's closed form (`theory.second_price_auction`) at `params`, exact in `AUCTION_SETTING`: the
    provers' break-even prices at the median gas price, each present with 1 - `unavailable_probability`, the reserve
    the block's value to the sequencer without fees (its reward share, any early-reveal bonus). Keys:
    `theory_commit_share` (of slots with a proposal), `theory_prover_price`, `theory_prover_break_even` (tokens)."""
    from aztec_econ.model.mechanisms import prover_market

    n = params.agents.provers.count
    if n == 0:
        return {
            "theory_commit_share": 0.0,
            "theory_prover_price": math.nan,
            "theory_prover_break_even": math.nan,
        }
    bids = prover_market.bids(params, np.array([params.environment.l1.gas_price])).price[0, :n]
    if params.protocol.prover_bond > params.agents.provers.bond_budget:
        bids = np.full(n, np.inf)
    reserve = float(prover_market.block_value(params, np.zeros(1))[0])
    win, price, lowest = theory.second_price_auction(
        bids,
        1.0 - params.agents.provers.unavailable_probability,
        reserve,
        params.agents.provers.bargaining_power,
    )
    return {
        "theory_commit_share": float(win),
        "theory_prover_price": float(price),
        "theory_prover_break_even": float(lowest),
    }


# ---------------------------------------------------------------------------------------------------------------------
# Why a closed form may not hold at a parameter set


def mode_share_caveats(params: Params) -> list[str]:
    """Reasons, computed from `params`, why the closed-form mode shares (`expected_mode_shares`, which count a slot
    as committed whenever a prover is available and assume balances cover bonds) may not describe a simulation:

    - provers' quotes exceed what a block is worth to its sequencer before fees (`prover_market.choose` then finds
      no one to commit), and self-proving does not pay either;
    - the bond exceeds the provers' bond budget;
    - the bonds expected to be slashed over the horizon exceed a prover's initial balance.

    Each reason states its numbers; an empty list means none of these applies."""
    from aztec_econ.model.mechanisms import prover_market as pm

    reasons: list[str] = []
    pv, pr = params.agents.provers, params.protocol
    bond = float(pr.prover_bond)
    gas = np.asarray([params.environment.l1.gas_price], dtype=np.float64)
    offered = pm.bids(params, gas)
    n = pv.count
    quotes = offered.price[0, :n]
    success = offered.success[0, :n]
    value = float(pm.block_value(params, np.zeros(1))[0])
    own_profit = value - float(offered.price[0, n])
    cheapest = float(np.min(quotes)) if quotes.size else math.inf
    if cheapest > value:
        reasons.append(
            f"provers' quotes start at {cheapest:,.1f} tokens, more than the {value:,.1f} tokens a block is worth to "
            f"its sequencer before fees and MEV (the expected slash, {1 - float(np.max(success, initial=0.0)):.1%} x the "
            f"{bond:,.0f}-token bond, is priced in), so third-party provers commit only where fees make up the "
            "difference"
            + ("; self-proving loses money in expectation too" if own_profit < 0 else "")
            + ": the closed form counts every available prover as committing"
        )
    if bond > pv.bond_budget:
        reasons.append(
            f"the prover bond ({bond:,.0f} tokens) exceeds the provers' bond budget ({pv.bond_budget:,.0f}): no "
            "third-party prover commits, the closed form assumes they do"
        )
    slash = expected_slashing_probability(params)
    per_prover = slash * params.sim.slots * bond / max(pv.count, 1)
    if per_prover > pv.initial_balance:
        reasons.append(
            f"the bonds expected to be slashed over the horizon ({per_prover:,.0f} tokens per prover at "
            f"{slash:.2%} of slots) exceed a prover's initial balance ({pv.initial_balance:,.0f}): balances run out, "
            "the closed form assumes they always cover the bond"
        )
    return reasons


THEORY_CAVEATS = {
    "share_happy": mode_share_caveats,
    "share_backup": mode_share_caveats,
    "share_skipped": mode_share_caveats,
}
"""KPIs with a closed form and the function that says why it may not hold at a parameter set."""


def disagreement_reason(kpi: str, params: Params) -> str:
    """Why the closed form of `kpi` and the simulation may disagree at `params`, in one sentence: the caveats of
    `THEORY_CAVEATS`, or a statement that none of the modelled causes applies."""
    check = THEORY_CAVEATS.get(kpi)
    reasons = check(params) if check is not None else []
    if reasons:
        return "; ".join(reasons) + "."
    return "none of the known limits of the closed form applies here: an unexplained difference worth a look."
