"""What the KPIs of `aztec_econ.analysis.kpis` read from a simulation's trajectories, computed once and shared.

`RunData` wraps one `Trajectories`: the horizon in days and years, the per-run groupby of the frame, and the
intermediate tables several KPIs need (mode shares, finalization gaps, rewards per key, the agent and vote tables,
the attacker's revenue), each computed on first use. `gini` and `nakamoto` are the concentration measures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.analysis.tables import (
    agent_table,
    delay_hist,
    finalization_gaps,
    hist_quantile,
    operator_table,
    sequencer_rewards_per_key,
    vote_table,
)

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories


def gini(values: NDArray[np.float64]) -> float:
    """Gini coefficient of non-negative values (0: all equal; close to 1: one holds all)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    total = x.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * total) - (n + 1) / n)


def nakamoto(values: NDArray[np.float64], threshold: float = 0.5) -> int:
    """Fewest holders whose combined share exceeds `threshold`."""
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = x.sum()
    if total == 0:
        return 0
    return int(np.searchsorted(np.cumsum(x) / total, threshold, side="right") + 1)


def apply_by_run(values: pd.Series, run: pd.Series, fn: Callable[[NDArray[Any]], Any]) -> pd.Series:
    """`values.groupby(run).apply(lambda v: fn(v.to_numpy()))` without a Series per run: `fn` of each run's values
    (an array, in row order), indexed by the sorted runs; rows without a run are left out, as groupby leaves them.
    GroupBy.apply built a Series for each of a tenth of a year's 100 runs: 5-13 ms a KPI."""
    codes, runs = pd.factorize(run, sort=True)
    keep = codes >= 0
    codes, array = codes[keep], values.to_numpy()[keep]
    order = np.argsort(codes, kind="stable")  # each run's rows, in row order
    bounds = np.searchsorted(codes[order], np.arange(1, len(runs)))
    index = pd.Index(runs, name=run.name)
    if not len(runs):
        return pd.Series([], index=index, name=values.name, dtype=np.float64)  # as groupby's apply gives it
    return pd.Series([fn(part) for part in np.split(array[order], bounds)], index=index, name=values.name)


class RowsByRun:
    """The rows of a frame where `mask` holds, grouped by run, one column at a time: `rows["x"]` is
    `frame[mask].groupby("run")["x"]` without copying every column of the frame (a boolean index of the whole frame
    took half a second of a tenth of a year's KPIs)."""

    def __init__(self, frame: pd.DataFrame, mask: pd.Series) -> None:
        self._frame = frame
        self._mask = mask.to_numpy()
        self._run = frame["run"][self._mask]

    def __getitem__(self, column: str) -> Any:
        return self._frame[column][self._mask].groupby(self._run, observed=True)

    def apply(self, column: str, fn: Callable[[NDArray[Any]], Any]) -> pd.Series:
        """`self[column].apply(lambda v: fn(v.to_numpy()))` (`apply_by_run`)."""
        return apply_by_run(self._frame[column][self._mask], self._run, fn)

    def size(self) -> pd.Series:
        """Rows per run (runs without any omitted)."""
        return self._run.groupby(self._run, observed=True).size()


class RunData:
    """What the KPIs read: the trajectories, the horizon, and intermediate results shared by several KPIs (each
    computed on first use)."""

    def __init__(self, traj: Trajectories) -> None:
        p = traj.params
        self.traj = traj
        self.params = p
        self.frame = traj.frame
        self.days = p.sim.slots / p.protocol.slots_per_day
        self.years = self.days / 365.0

    @cached_property
    def by_run(self) -> Any:
        return self.frame.groupby("run", observed=True)

    @cached_property
    def committed(self) -> Any:
        """The slots committed to a third-party prover, grouped by run."""
        return RowsByRun(self.frame, self.frame["prover"] >= 0)

    @cached_property
    def index(self) -> pd.Index:
        """The runs, sorted."""
        return self.by_run.size().index

    def total(self, column: str) -> pd.Series:
        return self.by_run[column].sum()

    def mean(self, column: str) -> pd.Series:
        return self.by_run[column].mean()

    @cached_property
    def mode_share(self) -> pd.DataFrame:
        """Share of each run's slots in each mode (runs x the modes that occur), as
        `pd.crosstab(run, mode, normalize="index")` gives it; a simulation's categorical column is counted on its codes
        (crosstab turned it into a list of strings: 0.18 s of a tenth of a year's KPIs, against 5-17 ms)."""
        column = self.frame["mode"]
        if (
            not isinstance(column.dtype, pd.CategoricalDtype) or column.isna().any()
        ):  # not a simulation's frame
            return pd.crosstab(self.frame["run"], column, normalize="index")
        mode = pd.Categorical(column)
        codes = mode.codes.astype(np.int64)
        row, runs = pd.factorize(self.frame["run"].to_numpy(), sort=True)  # hashed, not sorted: O(rows)
        k = len(mode.categories)
        counts = np.bincount(row * k + codes, minlength=len(runs) * k).reshape(len(runs), k)
        seen = counts.sum(axis=0) > 0  # crosstab's columns: the modes that occur
        share = counts[:, seen] / counts.sum(axis=1, keepdims=True)
        columns = pd.CategoricalIndex(mode.categories[seen], dtype=mode.dtype, name="mode")
        return pd.DataFrame(share, index=pd.Index(runs, name="run"), columns=columns)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        return finalization_gaps(self.frame, self.params.protocol.l1_block_seconds)

    @cached_property
    def rewards_per_key(self) -> pd.DataFrame:
        """Sequencer rewards per (run, key) (`tables.sequencer_rewards_per_key`)."""
        return sequencer_rewards_per_key(self.traj)

    @cached_property
    def operator_rows(self) -> pd.DataFrame:
        """The operator table (`tables.operator_table`)."""
        return operator_table(self.traj)

    @cached_property
    def operators(self) -> Any:
        """The operator table, grouped by run."""
        return self.operator_rows.groupby("run")

    def per_key(self, fn: Callable[[NDArray[Any]], Any]) -> pd.Series:
        """`fn` of each run's sequencer rewards per key (`apply_by_run`)."""
        table = self.rewards_per_key
        return apply_by_run(table["reward"], table["run"], fn)

    def per_operator(self, column: str, fn: Callable[[NDArray[Any]], Any]) -> pd.Series:
        """`fn` of each run's `column` of the operator table (`apply_by_run`), over every run (NaN: no operator)."""
        table = self.operator_rows
        return apply_by_run(table[column], table["run"], fn).reindex(self.index)

    @cached_property
    def opening_supply(self) -> pd.Series:
        return (
            self.by_run["total_supply"].first()
            - self.by_run["minted"].first()
            + self.by_run["burned"].first()
        )

    @cached_property
    def produced(self) -> Any:
        """The slots with a block (happy or backup), grouped by run."""
        return RowsByRun(self.frame, self.frame["mode"] != "skipped")

    @cached_property
    def attacker_key_share(self) -> float:
        p = self.params
        return (
            round(p.attacks.randao.sequencer_share * p.agents.sequencers.initial)
            / p.agents.sequencers.initial
        )

    @cached_property
    def attacker_revenue(self) -> pd.Series:
        frame = self.frame
        won = frame["attacker_won"].to_numpy()
        mode = frame["mode"]  # compared as a column: a categorical's codes, not an array of strings
        kept = (frame["tips"] + frame["mev"] - frame["mev_burned"]).to_numpy()
        happy = won & (mode == "happy").to_numpy()  # its key won and produced the block
        attacker_built = frame["backup_builder"].to_numpy() == -1
        prebuilt = (mode == "backup").to_numpy() & attacker_built  # its pre-built block won
        revenue = np.where(happy, frame["reward_sequencer"].to_numpy() + kept, 0.0)
        revenue += np.where(prebuilt, frame["reward_backup"].to_numpy() + kept, 0.0)
        return pd.Series(revenue, index=frame.index).groupby(frame["run"]).sum()

    @cached_property
    def attacker_extra_revenue(self) -> pd.Series:
        kept = self.total("tips") + self.total("mev") - self.total("mev_burned")
        pool = self.total("reward_sequencer") + self.total("reward_backup") + kept
        return self.attacker_revenue - self.attacker_key_share * pool

    @cached_property
    def complete_votes(self) -> Any:
        votes = vote_table(self.traj)
        return votes[votes["complete"]].groupby("run")

    @cached_property
    def agents(self) -> pd.DataFrame:
        return agent_table(self.traj)

    def apr(self, role: str) -> pd.Series:
        """Profit per year over capital of the agents of `role` together (NaN without capital)."""
        rows = self.agents[self.agents["role"] == role].groupby("run")
        capital = rows["capital"].sum()
        return (rows["profit"].sum() / capital / self.years).where(capital > 0).reindex(self.index)

    def per_year(self, column: str) -> pd.Series:
        return self.total(column) / self.years

    def confirmation_quantile(self, stage: str, q: float) -> list[float]:
        return [hist_quantile(h, q, self.params) for h in delay_hist(self.traj, stage)]
