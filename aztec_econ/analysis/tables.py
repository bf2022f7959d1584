"""The derived tables of a simulation: agents' revenue, cost and profit, upgrade votes per window, confirmation
times per stage, and the intermediate tables of the KPIs (sequencer rewards per key, gaps between finalized blocks).

Each is computed from the documented output frame and key table (docs/outputs.md), so it can be recomputed from a
saved Parquet file; each table's columns are declared next to it (`AGENT_COLUMNS`, `VOTE_COLUMNS`,
`CONFIRMATION_COLUMNS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.model.columns import RUN, Column
from aztec_econ.model.mechanisms.confirmation import STAGES, stage_histogram

if TYPE_CHECKING:
    from aztec_econ.params import Params
    from aztec_econ.simulation import Trajectories


AGENT_COLUMNS: tuple[Column, ...] = (
    RUN,
    Column("agent", "-", "`sequencers` (all keys together), `prover_<i>`, `relays`, `backup`"),
    Column("role", "-", "`sequencer`, `prover`, `relay` or `backup`"),
    Column(
        "revenue",
        "tokens",
        "block rewards (self-provers: the prover's and, unless a relay submits, the submitter's shares too), fees "
        "and MEV kept by the block producer, prover prices received",
    ),
    Column(
        "cost",
        "tokens",
        "L1 gas and blobs, proving compute, prover prices paid (received, when negative, count as negative cost), "
        "slashed bonds, operating costs (sequencers: `agents.operators.hardware_cost_per_key_per_day` per eligible "
        "key and `fixed_cost_per_day` per operator; provers: `agents.provers.operating_cost_per_day`; ETH converted "
        "at each slot's `eth_per_token`)",
    ),
    Column("profit", "tokens", "revenue - cost"),
    Column(
        "capital",
        "tokens",
        "the capital committed: sequencers: minimum stake x mean eligible keys; each prover: `protocol.prover_bond` "
        "plus `agents.provers.hardware_capital`; relays: `agents.relays.capital`; backup builders: "
        "`agents.backup.hardware_capital` (ETH converted at the genesis token price)",
    ),
    Column("apr", "share/year", "profit per year over capital"),
)
"""The columns of `agent_table`, in order."""


def _pandas_sums_by_reduceat() -> bool:
    try:  # a private module of pandas: one without it (or without the method) is summed by pandas itself
        from pandas.core.groupby.ops import BaseGrouper
    except ImportError:
        return False
    return hasattr(BaseGrouper, "_reduceat_aggregate")


_PANDAS_SUMS_BY_REDUCEAT = _pandas_sums_by_reduceat()
"""Whether this pandas sums sorted groups with `numpy.add.reduceat` (pandas 3.1; older versions add with compensation):
`RunSums` then takes the same path itself, else it asks pandas."""


class RunSums:
    """Per-run sums of per-row values, for the rows of one frame: `RunSums(run)(values)` is
    `pd.Series(values, dtype=float64).groupby(run).sum()` over the sorted runs, with the grouping found once for every
    column summed (a groupby finds it again each time: 3-6 ms of 525,600 rows).

    Rows in run order (a simulation's frame: by run, then slot) are summed as this pandas sums sorted groups, bit for
    bit: `numpy.add.reduceat` over each run's rows (`_PANDAS_SUMS_BY_REDUCEAT`); values with a NaN, rows out of run
    order and a pandas that adds otherwise go to pandas' groupby itself (which skips NaN)."""

    def __init__(self, run: NDArray[np.integer] | NDArray[np.floating]) -> None:
        self.run = np.asarray(run)
        self.runs = np.unique(self.run)
        change = self.run[1:] != self.run[:-1]
        self.in_run_order = bool((self.run[1:] >= self.run[:-1]).all())
        self.starts = np.flatnonzero(np.concatenate(([True], change))) if self.run.size else None

    def __call__(self, values: NDArray[np.float64] | pd.Series) -> NDArray[np.float64]:
        v = np.asarray(values, dtype=np.float64)
        if v.shape != self.run.shape:
            raise ValueError(f"{v.shape[0] if v.ndim else 0} values for {self.run.size} rows")
        if self.starts is None:
            return np.zeros(0)
        if _PANDAS_SUMS_BY_REDUCEAT and self.in_run_order and not np.isnan(v).any():
            return np.add.reduceat(v, self.starts)
        return pd.Series(v).groupby(self.run).sum().reindex(self.runs, fill_value=0).to_numpy()


def agent_table(traj: Trajectories) -> pd.DataFrame:
    """Revenue, cost, profit and return per (run, agent). ETH costs are converted at each slot's token price
    (`eth_per_token`); ETH capital at the genesis price (`environment.token.eth_per_token`: what it cost when committed).

    Self-proving sequencers earn the prover's and (unless a relay submits) the submitter's reward shares and bear
    the proving costs and slashes themselves; block producers in backup mode are the backup builders, who pay their
    L1 gas and proving compute (`proving_cost_backup`).
    """
    p = traj.params
    f = traj.frame
    days = p.sim.slots / p.protocol.slots_per_day
    years = days / 365.0
    eth = p.environment.token.eth_per_token
    run = f["run"].to_numpy()
    tokens_per_eth_day = 1.0 / f["eth_per_token"].to_numpy() / p.protocol.slots_per_day  # per slot
    backup = (f["mode"] == "backup").to_numpy()
    prover = f["prover"].to_numpy()
    submitter = f["submitter"]
    kept = (f["tips"] + f["mev"] - f["mev_burned"]).to_numpy()
    relay = (submitter == "relay").to_numpy()
    own_submit = (submitter == "prover").to_numpy() | (submitter == "sequencer").to_numpy()
    per_run = RunSums(run)
    runs = per_run.runs

    rows = []
    slot_revenue, slot_cost = sequencer_slot_flows(f)
    seq_revenue = per_run(slot_revenue)
    seq_cost = per_run(slot_cost)
    active = f.groupby("run", observed=True)["active_sequencers"].mean().reindex(runs).to_numpy()
    ops = p.agents.operators
    seq_cost = seq_cost + per_run(
        (
            f["active_sequencers"].to_numpy() * ops.hardware_cost_per_key_per_day
            + f["active_operators"].to_numpy() * ops.fixed_cost_per_day
        )
        * tokens_per_eth_day
    )
    rows.append(
        _agent_rows(
            runs, "sequencers", "sequencer", seq_revenue, seq_cost, active * p.protocol.minimum_stake, years
        )
    )
    operating_provers = per_run(p.agents.provers.operating_cost_per_day * tokens_per_eth_day)
    prover_capital = p.protocol.prover_bond + p.agents.provers.hardware_capital / eth
    # what the committed prover earns and pays in each slot, whichever prover it is
    prover_income = (
        f["reward_prover"] + np.where(own_submit, f["reward_submitter"], 0.0) + f["prover_price"]
    ).to_numpy()
    prover_spend = (f["l1_cost_prover"] + f["proving_cost"] + f["slashed"]).to_numpy()
    for i in range(p.agents.provers.count):
        mine = prover == i
        revenue = per_run(np.where(mine, prover_income, 0.0))
        cost = per_run(np.where(mine, prover_spend, 0.0))
        cost = cost + operating_provers
        capital = np.full(runs.size, prover_capital)
        rows.append(_agent_rows(runs, f"prover_{i}", "prover", revenue, cost, capital, years))
    rows.append(
        _agent_rows(
            runs,
            "relays",
            "relay",
            per_run(np.where(relay, f["reward_submitter"], 0.0)),
            per_run(f["l1_cost_relay"]),
            np.full(runs.size, p.agents.relays.capital / eth),
            years,
        )
    )
    rows.append(
        _agent_rows(
            runs,
            "backup",
            "backup",
            per_run(f["reward_backup"].to_numpy() + np.where(backup, kept, 0.0)),
            per_run(f["l1_cost_backup"] + f["proving_cost_backup"]),
            np.full(runs.size, p.agents.backup.hardware_capital / eth),
            years,
        )
    )
    return pd.concat(rows, ignore_index=True).sort_values(["run", "role", "agent"], ignore_index=True)


def sequencer_slot_flows(f: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per frame row: the sequencers' revenue (their reward share, fees and MEV kept on the happy path, a self-prover's
    prover and, unless a relay submits, submitter shares) and their costs in the slot other than running costs (L1
    gas and blobs, a self-prover's proving compute and slashed bond, the third-party prover's price) [tokens]."""
    happy = (f["mode"] == "happy").to_numpy()
    selfp = f["self_proved"].to_numpy()
    submitter = f["submitter"]
    own_submit = (submitter == "prover").to_numpy() | (submitter == "sequencer").to_numpy()
    kept = (f["tips"] + f["mev"] - f["mev_burned"]).to_numpy()
    revenue = (
        f["reward_sequencer"].to_numpy()
        + np.where(happy, kept, 0.0)
        + np.where(selfp, f["reward_prover"] + np.where(own_submit, f["reward_submitter"], 0.0), 0.0)
    )
    cost = (
        f["l1_cost_sequencer"].to_numpy()
        + np.where(selfp, f["proving_cost"] + f["slashed"], 0.0)
        + f["prover_price"].to_numpy()
    )
    return np.asarray(revenue, dtype=np.float64), np.asarray(cost, dtype=np.float64)


def operator_spans(traj: Trajectories) -> pd.DataFrame:
    """Per (run, operator) with a key eligible within the horizon: its keys, key-days eligible and staked, and the
    days it runs (holds at least one eligible key).

    Eligible key-days and running days count whole slots, a key in a slot when it is eligible at the slot's first
    L1 block, as the frame's `active_sequencers` and `active_operators` do (so the agent table and the running
    profit the registry reads agree); staked key-days run from registration to the stake's release at L1-block
    precision; all clipped to the horizon."""
    p = traj.params
    keys = traj.keys
    slots, length = p.sim.slots, p.protocol.slot_l1_blocks
    end = slots * length
    per_day = p.protocol.slots_per_day

    def first_slot(blocks: NDArray[np.int64]) -> NDArray[np.int64]:
        """The first slot whose first L1 block is at or after `blocks` (-1, never: NEVER)."""
        return np.clip(-(-blocks // length), 0, slots)

    eligible = keys["eligible_l1_block"].to_numpy()
    signal = keys["exit_signal_l1_block"].to_numpy()
    start = first_slot(eligible)
    until = np.where(signal < 0, slots, first_slot(signal))
    release = keys["release_l1_block"].to_numpy()
    staked = np.minimum(np.where(release < 0, end, release), end) - np.maximum(keys["registered_l1_block"], 0)
    table = pd.DataFrame(
        {
            "run": keys["run"].to_numpy(),
            "operator": keys["operator"].to_numpy(),
            "keys": 1,
            "start": start,
            "until": until,
            "key_days": np.maximum(until - start, 0) / per_day,
            "staked_key_days": np.maximum(staked.to_numpy(), 0) / (per_day * length),
        }
    )
    table = table[table["until"] > table["start"]]
    out = table.groupby(["run", "operator"], sort=True).agg(
        keys=("keys", "sum"), key_days=("key_days", "sum"), staked_key_days=("staked_key_days", "sum")
    )
    out["days"] = _union_slots(table).reindex(out.index).to_numpy() / per_day
    return out.reset_index()


def _union_slots(table: pd.DataFrame) -> pd.Series:
    """Per (run, operator): the slots covered by the union of its keys' [start, until) intervals."""
    n = len(table)
    run = np.concatenate([table["run"].to_numpy()] * 2)
    operator = np.concatenate([table["operator"].to_numpy()] * 2)
    at = np.concatenate([table["start"].to_numpy(), table["until"].to_numpy()])
    delta = np.concatenate([np.ones(n, dtype=np.int64), -np.ones(n, dtype=np.int64)])
    order = np.lexsort((delta, at, operator, run))
    run, operator, at, delta = run[order], operator[order], at[order], delta[order]
    open_keys = np.cumsum(delta)  # each group nets to zero, so this is the count within the group
    covered = np.zeros(at.size, dtype=np.int64)
    covered[:-1] = np.where(open_keys[:-1] > 0, at[1:] - at[:-1], 0)
    return pd.Series(covered).groupby([run, operator]).sum().rename_axis(["run", "operator"])


OPERATOR_COLUMNS: tuple[Column, ...] = (
    RUN,
    Column(
        "operator",
        "operator",
        "operator index (`agents.operators`; those with a key eligible in the horizon)",
    ),
    Column("keys", "keys", "its keys eligible at some point of the horizon"),
    Column("mean_keys", "keys", "its eligible keys, averaged over the horizon"),
    Column("blocks", "blocks", "happy-path blocks its keys produced"),
    Column("rewards", "tokens", "sequencer block rewards its keys earned (`reward_sequencer`)"),
    Column(
        "revenue",
        "tokens",
        "its sequencer revenue in the slots its keys won (as the agent table's `sequencers` row counts it)",
    ),
    Column(
        "cost_slots",
        "tokens",
        "its costs in the slots its keys won: L1 gas and blobs (all of the slot's landed proposals are charged to "
        "the winner), self-proving, prover prices",
    ),
    Column(
        "cost_hardware", "tokens", "`hardware_cost_per_key_per_day` x its key-days eligible (ETH converted)"
    ),
    Column(
        "cost_fixed", "tokens", "`fixed_cost_per_day` x the days it runs (`operator_spans`; ETH converted)"
    ),
    Column("cost", "tokens", "cost_slots + cost_hardware + cost_fixed"),
    Column("profit", "tokens", "revenue - cost"),
    Column("capital", "tokens", "minimum stake x its staked keys averaged over the horizon"),
    Column("apr", "share/year", "profit per year over capital"),
)
"""The columns of `operator_table`, in order."""


def operator_table(traj: Trajectories) -> pd.DataFrame:
    """Keys, blocks, rewards, costs, profit and return per (run, operator) over the operators with a key eligible in
    the horizon. Its sums equal the agent table's `sequencers` row except for the slot costs of slots without a
    winning proposer (none unless proposals land without winning)."""
    p = traj.params
    f = traj.frame
    days = p.sim.slots / p.protocol.slots_per_day
    # ETH running costs at the run's mean tokens-per-ETH over its slots (exact when the token price is fixed)
    tokens_per_eth = (1.0 / f["eth_per_token"]).groupby(f["run"], observed=True).mean()
    revenue, cost = sequencer_slot_flows(f)
    happy = (f["mode"] == "happy").to_numpy()
    slots = pd.DataFrame(
        {
            "run": f["run"].to_numpy(),
            "operator": f["proposer_operator"].to_numpy(),
            "blocks": happy.astype(np.int64),
            "rewards": f["reward_sequencer"].to_numpy(),
            "revenue": revenue,
            "cost_slots": cost,
        }
    )
    won = slots[slots["operator"] >= 0].groupby(["run", "operator"], sort=True).sum()
    table = operator_spans(traj).set_index(["run", "operator"])
    table = table.join(won, how="left").fillna({c: 0.0 for c in won.columns})
    ops = p.agents.operators
    table["mean_keys"] = table["key_days"] / days
    per_eth = tokens_per_eth.reindex(table.index.get_level_values("run")).to_numpy()
    table["cost_hardware"] = table["key_days"] * ops.hardware_cost_per_key_per_day * per_eth
    table["cost_fixed"] = table["days"] * ops.fixed_cost_per_day * per_eth
    table["cost"] = table["cost_slots"] + table["cost_hardware"] + table["cost_fixed"]
    table["profit"] = table["revenue"] - table["cost"]
    table["capital"] = p.protocol.minimum_stake * table["staked_key_days"] / days
    with np.errstate(divide="ignore", invalid="ignore"):
        table["apr"] = np.where(
            table["capital"] > 0, table["profit"] / table["capital"] / (days / 365.0), np.nan
        )
    table["blocks"] = table["blocks"].astype(np.int64)
    out = table.reset_index()
    out["run"] = out["run"].astype(np.int32)
    return out[[c.name for c in OPERATOR_COLUMNS]]


def _agent_rows(
    runs: NDArray[np.int64],
    agent: str,
    role: str,
    revenue: NDArray[np.float64],
    cost: NDArray[np.float64],
    capital: NDArray[np.float64],
    years: float,
) -> pd.DataFrame:
    profit = revenue - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        apr = np.where(capital > 0, profit / capital / years, np.nan)
    return pd.DataFrame(
        {
            "run": runs.astype(np.int32),
            "agent": agent,
            "role": role,
            "revenue": revenue,
            "cost": cost,
            "profit": profit,
            "capital": capital,
            "apr": apr,
        }
    )


CONFIRMATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "stage",
        "-",
        "`proposal` (in the winning proposal), `commitment`, `data_on_da`, `proven` (verified on L1), "
        "`finalized_l1` (`environment.l1.finality_blocks` later)",
    ),
    Column("txs", "txs", "transactions that reached the stage, all runs"),
    Column("mean_minutes", "minutes", "mean time from submission to the stage"),
    Column("median_minutes", "minutes", "median of that time"),
    Column("p90_minutes", "minutes", "90th percentile"),
    Column("p99_minutes", "minutes", "99th percentile"),
)
"""The columns of `confirmation_table`, in order."""


def delay_hist(traj: Trajectories, stage: str) -> NDArray[np.float64]:
    """Per run: transactions by delay (L1 blocks) from submission to `stage`, the submission offset U included (U
    uniform on 1..slot: each delay's count spread over the `slot_l1_blocks` next ones). The moving sums are taken in
    integers and divided once, so the table is the same on every machine (numpy convolves floats with the BLAS,
    whose summation order depends on the CPU)."""
    hist = stage_histogram(traj.params, traj.confirmation_hist, stage)
    width = traj.params.protocol.slot_l1_blocks
    if not hist.size:
        return hist
    counts = np.rint(hist).astype(np.int64)  # whole transactions, held as floats
    window = np.concatenate([[0], np.ones(width, dtype=np.int64)])
    spread: NDArray[np.float64] = np.stack([np.convolve(h, window) for h in counts]) / width
    return spread


def hist_quantile(hist: NDArray[np.float64], q: float, params: Params) -> float:
    total = hist.sum()
    if total <= 0:
        return float("nan")
    at = int(np.searchsorted(np.cumsum(hist), q * total))
    return at * params.protocol.l1_block_seconds / 60.0


def confirmation_table(traj: Trajectories) -> pd.DataFrame:
    """Per confirmation stage, over all runs: transactions, mean, median, p90 and p99 of the time from submission."""
    p = traj.params
    minutes = p.protocol.l1_block_seconds / 60.0
    rows = []
    for stage in STAGES:
        hist = delay_hist(traj, stage).sum(axis=0)
        total = float(hist.sum())
        mean = float((hist * np.arange(hist.size)).sum() / total * minutes) if total else float("nan")
        rows.append(
            {
                "stage": stage,
                "txs": round(total),
                "mean_minutes": mean,
                "median_minutes": hist_quantile(hist, 0.5, p),
                "p90_minutes": hist_quantile(hist, 0.9, p),
                "p99_minutes": hist_quantile(hist, 0.99, p),
            }
        )
    return pd.DataFrame(rows)


VOTE_COLUMNS: tuple[Column, ...] = (
    RUN,
    Column("window", "windows", "window index, from 0"),
    Column("yes", "blocks", "counted blocks carrying a yes vote"),
    Column(
        "proposed",
        "blocks",
        "counted blocks (happy-path blocks; backup blocks too with `governance.count_backup_blocks`)",
    ),
    Column("passed", "-", "`yes > protocol.upgrade_vote_threshold * proposed`"),
    Column(
        "complete", "-", "the window lies wholly inside the horizon (only complete windows enter the KPIs)"
    ),
)
"""The columns of `vote_table`, in order."""


def vote_window_slots(params: Params) -> int:
    """Slots per upgrade-vote window (see `model.mechanisms.governance`)."""
    pr = params.protocol
    return max(1, round(pr.upgrade_vote_window_days * pr.slots_per_day))


def vote_table(traj: Trajectories) -> pd.DataFrame:
    """One row per (run, vote window): yes votes, counted blocks, whether it passed, whether the window is complete.

    A window passes when yes > `protocol.upgrade_vote_threshold` x counted blocks (spec: Voting on upgrades).
    """
    p = traj.params
    frame = traj.frame
    size = vote_window_slots(p)
    window = (frame["slot"].to_numpy() // size).astype(np.int32)
    vote = frame["vote"]
    table = (
        pd.DataFrame(
            {
                "run": frame["run"].to_numpy(),
                "window": window,
                "yes": (vote == "yes").to_numpy().astype(np.int64),
                "proposed": (vote != "none").to_numpy().astype(np.int64),
                "slots": np.ones(len(frame), dtype=np.int64),
            }
        )
        .groupby(["run", "window"], sort=True)
        .sum()
        .reset_index()
    )
    table["passed"] = table["yes"] > p.protocol.upgrade_vote_threshold * table["proposed"]
    table["complete"] = table.pop("slots") == size
    return table


def sequencer_rewards_per_key(traj: Trajectories) -> pd.DataFrame:
    """Sequencer rewards per (run, key) over keys that were eligible at some point of the horizon."""
    frame, keys = traj.frame, traj.keys
    end_block = traj.params.sim.slots * traj.params.protocol.slot_l1_blocks
    won = frame.loc[frame["proposer"] >= 0, ["run", "proposer", "reward_sequencer"]]
    earned = won.groupby(["run", "proposer"], observed=True)["reward_sequencer"].sum()
    table = keys.loc[keys["eligible_l1_block"] < end_block, ["run", "key"]].copy()
    index = pd.MultiIndex.from_frame(table.rename(columns={"key": "proposer"}))
    table["reward"] = earned.reindex(index, fill_value=0.0).to_numpy()
    return table


def finalization_gaps(frame: pd.DataFrame, block_seconds: float) -> pd.DataFrame:
    """Per run: mean, p90 and max time between consecutive finalized blocks (minutes)."""
    done = frame.loc[frame["finalized_l1_block"] >= 0, ["run", "finalized_l1_block"]]
    runs = done["run"].to_numpy()
    blocks = done["finalized_l1_block"].to_numpy()
    same = runs[1:] == runs[:-1]
    gaps = pd.DataFrame({"run": runs[1:][same], "gap": np.diff(blocks)[same] * block_seconds / 60.0})
    grouped = gaps.groupby("run")["gap"]
    return pd.DataFrame(
        {
            "gap_mean_minutes": grouped.mean(),
            "gap_p90_minutes": grouped.quantile(0.9),
            "gap_max_minutes": grouped.max(),
        }
    )


VALUE_DECILE_COLUMNS: tuple[Column, ...] = (
    Column(
        "decile", "-", "value decile of the transactions (1: the lowest values per mana, 10: the highest)"
    ),
    Column("value_low", "tokens/tx", "lowest value of a transaction in the decile (its bid bucket's)"),
    Column("value_high", "tokens/tx", "highest value of a transaction in the decile"),
    Column("txs_included", "txs", "transactions of the decile included, all runs"),
    Column(
        "txs_expired", "txs", "transactions of the decile that expired unserved (priced out or crowded out)"
    ),
    Column("share_expired", "share", "expired over included plus expired"),
    Column(
        "mean_wait_minutes",
        "minutes",
        "mean time included transactions waited in the mempool (whole slots; taken late into their own slot's block: 0)",
    ),
)
"""The columns of `value_decile_table`, in order."""


def value_decile_table(traj: Trajectories) -> pd.DataFrame:
    """Who gets in and how fast, by the value users put on their transactions: one row per value decile, over all
    runs (`Trajectories.demand_hist`; buckets are equal-probability quantiles of the value distribution, each given
    to the decile its midpoint falls in)."""
    from aztec_econ.model.mechanisms.demand import bid_levels

    p = traj.params
    hist = traj.demand_hist.sum(axis=0).astype(np.float64)  # buckets x (ages + 1)
    buckets = hist.shape[0]
    decile = np.minimum((((np.arange(buckets) + 0.5) / buckets) * 10).astype(int), 9)
    per_tx = bid_levels(p) * p.environment.demand.tx_size
    slot_minutes = p.protocol.slot_seconds / 60.0
    rows = []
    for d in range(10):
        members = decile == d
        if not members.any():
            continue
        included = hist[members, :-1]
        n_in, n_out = float(included.sum()), float(hist[members, -1].sum())
        wait = (
            float((included.sum(axis=0) * np.arange(included.shape[1])).sum() / n_in)
            if n_in
            else float("nan")
        )
        rows.append(
            {
                "decile": d + 1,
                "value_low": float(per_tx[members].min()),
                "value_high": float(per_tx[members].max()),
                "txs_included": n_in,
                "txs_expired": n_out,
                "share_expired": n_out / (n_in + n_out) if n_in + n_out else float("nan"),
                "mean_wait_minutes": wait * slot_minutes,
            }
        )
    return pd.DataFrame(rows, columns=[c.name for c in VALUE_DECILE_COLUMNS])
