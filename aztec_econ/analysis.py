"""Series and expectations the notebooks analyse: per-slot aggregates over runs, waiting times, Lorenz points, and the
closed forms of `aztec_econ.theory` evaluated at a parameter set.

Every function reads the documented output tables (docs/outputs.md); figures are drawn from these by
`aztec_econ.plots`. Times are in days or minutes as the names say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ import theory
from aztec_econ.metrics import sequencer_rewards_per_key
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

MODE_NAMES = ("happy", "backup", "skipped")


def expected_mode_shares(params: Params) -> dict[str, float]:
    """Long-run share of slots per mode from the closed forms (balances assumed to cover bonds)."""
    s, pv, b = params.agents.sequencers, params.agents.provers, params.agents.backup
    happy = theory.happy_path_probability(
        s.offline_probability,
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
        1 - theory.no_proposal_probability(s.offline_probability, s.proposers_per_slot),
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


def mode_share_series(traj: Trajectories, window_slots: int = 144, points: int = 500) -> pd.DataFrame:
    """Per slot: share of runs in each mode, smoothed by a trailing mean over `window_slots` slots, thinned to about
    `points` rows. Columns: `day` and one column per mode [share].
    """
    frame = traj.frame
    onehot = pd.get_dummies(frame["mode"]).astype(float)
    onehot["slot"] = frame["slot"].to_numpy()
    per_slot = onehot.groupby("slot").mean().reindex(columns=list(MODE_NAMES), fill_value=0.0)
    smooth = per_slot.rolling(max(1, window_slots), min_periods=1).mean()
    smooth.insert(0, "day", smooth.index.to_numpy() * slot_days(traj.params))
    return _thin(smooth.reset_index(drop=True), points)


def mean_over_runs(traj: Trajectories, columns: list[str], points: int = 500) -> pd.DataFrame:
    """Per slot: mean, 5th and 95th percentile over runs of each column, thinned to about `points` rows; columns
    `slot`, `day`, `{col}`, `{col}_p05`, `{col}_p95`."""
    grouped = traj.frame.groupby("slot")[columns]
    out = grouped.mean()
    for q, suffix in ((0.05, "_p05"), (0.95, "_p95")):
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
