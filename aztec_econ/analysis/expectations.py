"""Series and expectations the notebooks analyse: per-slot aggregates over runs, waiting times, Lorenz points, and the
closed forms of `aztec_econ.analysis.theory` evaluated at a parameter set: mode shares, slashing, queues and the prover
auction here, with the reasons a closed form may not hold (`disagreement_reason`); the attack and governance closed
forms in `aztec_econ.analysis.attack_expectations`, phase lengths and deadlines in
`aztec_econ.analysis.phase_expectations` (both re-exported here, so `expectations.X` reaches every one).

Every function reads the documented output tables (docs/outputs.md); figures are drawn from these by
`aztec_econ.publish.plots`. Times are in days or minutes as the names say.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.analysis import theory
from aztec_econ.analysis.attack_expectations import (
    CLOSED_FORM_SETTING,
    agrees,
    attacker_key_share,
    effective_support,
    expected_censorship,
    expected_randao,
    expected_votes,
    pass_probability_curve,
    proposal_phase_overrides,
    vote_outcomes,
)
from aztec_econ.analysis.phase_expectations import (
    DEADLINE_SETTING,
    FREE_PROVERS,
    PHASES,
    deadline_outcomes,
    expected_backup_skip,
    expected_block_mana,
    expected_deadlines,
    expected_proof_late,
    expected_proving_median,
    expected_table,
    phase_overrides,
    points_agreeing,
    proof_available_seconds,
    scaled_phase_overrides,
    shortest_proving_phase,
    with_per_day,
)
from aztec_econ.analysis.tables import sequencer_rewards_per_key
from aztec_econ.model.mechanisms.operators import key_offline_probability
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories
__all__ = [  # this module's names and the topic modules' it re-exports (as before the split)
    "AUCTION_SETTING",
    "BAND",
    "CLOSED_FORM_SETTING",
    "DEADLINE_SETTING",
    "FREE_PROVERS",
    "MODE_NAMES",
    "PHASES",
    "THEORY_CAVEATS",
    "agrees",
    "attacker_key_share",
    "deadline_outcomes",
    "disagreement_reason",
    "effective_support",
    "expected_auction",
    "expected_backup_skip",
    "expected_block_mana",
    "expected_censorship",
    "expected_deadlines",
    "expected_mode_shares",
    "expected_proof_late",
    "expected_proving_median",
    "expected_queues",
    "expected_randao",
    "expected_slashing_probability",
    "expected_table",
    "expected_votes",
    "gaps_minutes",
    "lorenz_points",
    "luck_only_win_mean",
    "mean_over_runs",
    "mode_share_caveats",
    "mode_share_series",
    "pass_probability_curve",
    "phase_overrides",
    "points_agreeing",
    "proof_available_seconds",
    "proposal_phase_overrides",
    "scaled_phase_overrides",
    "sequencer_rewards",
    "shortest_proving_phase",
    "slot_days",
    "vote_outcomes",
    "waiting_days",
    "with_per_day",
]

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
