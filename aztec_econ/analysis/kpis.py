"""KPIs per Monte Carlo run, and their aggregation over runs with confidence intervals.

Every KPI is computed from the documented output frame and key table (docs/outputs.md), so it can be recomputed from
a saved Parquet file. `KPI_DOCS` names each KPI with its unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from aztec_econ.analysis.tables import agent_table, delay_hist, hist_quantile, vote_table

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

KPI_DOCS: dict[str, str] = {
    "share_happy": "share of slots finalized on the happy path [share]",
    "share_backup": "share of slots finalized in backup mode [share]",
    "share_skipped": "share of slots with no block [share]",
    "finalized_per_day": "finalized blocks per day [blocks/day]",
    "gap_mean_minutes": "mean time between consecutive finalized blocks [minutes]",
    "gap_p90_minutes": "90th percentile of the time between finalized blocks [minutes]",
    "gap_max_minutes": "longest time between finalized blocks [minutes]",
    "reward_sequencers": "block rewards paid to sequencers [tokens]",
    "reward_provers": "block rewards paid to provers (self-proving sequencers included) [tokens]",
    "reward_submitters": "block rewards paid to proof submitters [tokens]",
    "reward_backup": "block rewards paid to backup builders [tokens]",
    "slashed": "prover bonds slashed [tokens]",
    "slashing_events": "slots in which a bond was slashed [count]",
    "gini_sequencer_rewards": "Gini coefficient of sequencer rewards over keys active during the run [0-1]",
    "nakamoto_sequencer_rewards": "fewest keys earning more than half of sequencer rewards [keys]",
    "mean_active_sequencers": "mean number of eligible keys [keys]",
    "supply_growth_pct_per_year": "total supply growth, annualised [% per year]",
    "attacker_key_share": "share of the initial keys the attacker owns [share]",
    "attacker_share": "share of slots the attacker won (election or pre-built backup) [share]",
    "attacker_revenue": "sequencer rewards of attacker-won happy slots plus its backup rewards [tokens]",
    "attacker_extra_revenue": "attacker revenue minus its key share of all sequencer and backup rewards [tokens]",
    "l1_blocks_withheld_per_slot": "L1 blocks the attacker withheld per slot [blocks/slot]",
    "l1_value_forfeited": "L1 proposer value forfeited by withheld blocks [tokens]",
    "attacker_net_gain": "attacker extra revenue minus forfeited L1 value [tokens]",
    "share_censored_l1_blocks": "share of L1 blocks built by censoring builders [share]",
    "share_proposal_censored": "share of slots whose proposal phase was censored in every L1 block [share]",
    "inclusion_delay_mean": "mean delay from the proposal phase start to the winning proposal's block [L1 blocks]",
    "vote_windows": "complete upgrade-vote windows in the run [windows]",
    "vote_pass_share": "share of complete vote windows that passed (mean over runs: pass probability) [share]",
    "fees_paid": "fees users paid [tokens]",
    "fees_burned": "fees burned [tokens]",
    "fees_to_producers": "fees kept by block producers (tips) [tokens]",
    "mev_total": "MEV extracted from included public-state transactions [tokens]",
    "mev_burned": "MEV burned [tokens]",
    "mean_base_fee": "mean base fee over slots (0 unless base_fee_burn) [tokens/mana]",
    "mean_utilisation": "mean capacity used by produced blocks over block capacity [share]",
    "txs_included_per_day": "transactions included per day [txs/day]",
    "share_txs_expired": "expired transactions over included plus expired [share]",
    "mean_l1_gas_price": "mean L1 gas price [gwei]",
    "l1_cost_total": "L1 costs of every actor, token equivalent [tokens]",
    "l1_cost_per_block": "L1 costs per produced block, token equivalent [tokens]",
    "mean_prover_price": "mean agreed prover price over slots a third-party prover committed [tokens]",
    "share_third_party_commitments": "share of slots committed to a third-party prover [share]",
    "issuance_per_year": "tokens minted per year [tokens/year]",
    "burn_per_year": "tokens burned per year (fees, MEV, slashed bonds) [tokens/year]",
    "net_inflation_pct_per_year": "(issuance - burns) per year over the opening supply [% per year]",
    "apr_sequencers": "sequencers' profit per year over their stakes [share/year]",
    "apr_provers": "third-party provers' profit per year over their initial balances [share/year]",
    "confirm_proposal_median_minutes": "median time from submission to inclusion in the winning proposal [minutes]",
    "confirm_finalized_l1_median_minutes": "median time from submission to L1 finality of the block's proof [minutes]",
    "confirm_finalized_l1_p99_minutes": "99th percentile of the time to L1 finality [minutes]",
}


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


def sequencer_rewards_per_key(traj: Trajectories) -> pd.DataFrame:
    """Sequencer rewards per (run, key) over keys that were eligible at some point of the horizon."""
    frame, keys = traj.frame, traj.keys
    end_block = traj.params.sim.slots * traj.params.protocol.slot_l1_blocks
    won = frame[frame["proposer"] >= 0]
    earned = won.groupby(["run", "proposer"], observed=True)["reward_sequencer"].sum()
    table = keys.loc[keys["eligible_l1_block"] < end_block, ["run", "key"]].copy()
    index = pd.MultiIndex.from_frame(table.rename(columns={"key": "proposer"}))
    table["reward"] = earned.reindex(index, fill_value=0.0).to_numpy()
    return table


def _gaps_minutes(frame: pd.DataFrame, block_seconds: float) -> pd.DataFrame:
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


def _compute(traj: Trajectories) -> pd.DataFrame:
    """One row per run with every KPI of `KPI_DOCS`."""
    p = traj.params
    frame = traj.frame
    days = p.sim.slots / p.protocol.slots_per_day
    by_run = frame.groupby("run", observed=True)
    mode_share = pd.crosstab(frame["run"], frame["mode"], normalize="index")
    out = pd.DataFrame(index=pd.Index(sorted(frame["run"].unique()), name="run"))
    for mode in ("happy", "backup", "skipped"):
        out[f"share_{mode}"] = mode_share.get(mode, 0.0)
    out["finalized_per_day"] = (1.0 - out["share_skipped"]) * p.sim.slots / days
    out = out.join(_gaps_minutes(frame, p.protocol.l1_block_seconds))
    out["reward_sequencers"] = by_run["reward_sequencer"].sum()
    out["reward_provers"] = by_run["reward_prover"].sum()
    out["reward_submitters"] = by_run["reward_submitter"].sum()
    out["reward_backup"] = by_run["reward_backup"].sum()
    out["slashed"] = by_run["slashed"].sum()
    out["slashing_events"] = by_run["slashed"].apply(lambda s: int((s > 0).sum()))
    per_key = sequencer_rewards_per_key(traj).groupby("run")["reward"]
    out["gini_sequencer_rewards"] = per_key.apply(lambda r: gini(r.to_numpy()))
    out["nakamoto_sequencer_rewards"] = per_key.apply(lambda r: nakamoto(r.to_numpy()))
    out["mean_active_sequencers"] = by_run["active_sequencers"].mean()
    supply = by_run["total_supply"]
    start = supply.first() - by_run["minted"].first() + by_run["burned"].first()
    out["supply_growth_pct_per_year"] = (supply.last() / start - 1.0) * 100.0 * 365.0 / days
    out = out.join(_attack_kpis(traj, by_run))
    out = out.join(_economics_kpis(traj, by_run, days))
    return out.reset_index()


def _economics_kpis(traj: Trajectories, by_run: pd.api.typing.DataFrameGroupBy, days: float) -> pd.DataFrame:
    """Fees, burns, L1 costs, the prover market, supply, returns and confirmation times per run (issue 3)."""
    p = traj.params
    frame = traj.frame
    out = pd.DataFrame(index=by_run.size().index)
    out["fees_paid"] = by_run["fees_paid"].sum()
    out["fees_burned"] = by_run["fees_burned"].sum()
    out["fees_to_producers"] = by_run["tips"].sum()
    out["mev_total"] = by_run["mev"].sum()
    out["mev_burned"] = by_run["mev_burned"].sum()
    out["mean_base_fee"] = by_run["base_fee"].mean()
    produced = frame[frame["mode"] != "skipped"].groupby("run", observed=True)
    out["mean_utilisation"] = (produced["capacity_used"].mean() / p.protocol.block_capacity).reindex(
        out.index
    )
    out["txs_included_per_day"] = by_run["txs_included"].sum() / days
    included, expired = by_run["txs_included"].sum(), by_run["txs_expired"].sum()
    out["share_txs_expired"] = (expired / (included + expired)).where(included + expired > 0, 0.0)
    out["mean_l1_gas_price"] = by_run["l1_gas_price"].mean()
    out["l1_cost_total"] = by_run["l1_cost"].sum()
    out["l1_cost_per_block"] = (out["l1_cost_total"] / produced.size()).reindex(out.index)
    third = frame[frame["prover"] >= 0].groupby("run", observed=True)
    out["mean_prover_price"] = third["prover_price"].mean().reindex(out.index)
    out["share_third_party_commitments"] = (frame["prover"] >= 0).groupby(frame["run"]).mean()
    years = days / 365.0
    out["issuance_per_year"] = by_run["minted"].sum() / years
    out["burn_per_year"] = by_run["burned"].sum() / years
    supply = by_run["total_supply"]
    start = supply.first() - by_run["minted"].first() + by_run["burned"].first()
    out["net_inflation_pct_per_year"] = (out["issuance_per_year"] - out["burn_per_year"]) / start * 100.0
    agents = agent_table(traj)
    for role, name in (("sequencer", "apr_sequencers"), ("prover", "apr_provers")):
        rows = agents[agents["role"] == role].groupby("run")
        capital = rows["capital"].sum()
        out[name] = (rows["profit"].sum() / capital / years).where(capital > 0).reindex(out.index)
    for stage, q, name in (
        ("proposal", 0.5, "confirm_proposal_median_minutes"),
        ("finalized_l1", 0.5, "confirm_finalized_l1_median_minutes"),
        ("finalized_l1", 0.99, "confirm_finalized_l1_p99_minutes"),
    ):
        out[name] = [hist_quantile(h, q, p) for h in delay_hist(traj, stage)]
    return out


def _attack_kpis(traj: Trajectories, by_run: pd.api.typing.DataFrameGroupBy) -> pd.DataFrame:
    """The attack and governance KPIs per run (issue 4)."""
    p = traj.params
    frame = traj.frame
    key_share = (
        round(p.attacks.randao.sequencer_share * p.agents.sequencers.initial) / p.agents.sequencers.initial
    )
    won = frame["attacker_won"].to_numpy()
    mode = frame["mode"]
    revenue = np.where(won & (mode == "happy"), frame["reward_sequencer"], 0.0) + np.where(
        won & (mode == "backup"), frame["reward_backup"], 0.0
    )
    out = pd.DataFrame(index=by_run.size().index)
    out["attacker_key_share"] = key_share
    out["attacker_share"] = by_run["attacker_won"].mean()
    out["attacker_revenue"] = pd.Series(revenue, index=frame.index).groupby(frame["run"]).sum()
    pool = by_run["reward_sequencer"].sum() + by_run["reward_backup"].sum()
    out["attacker_extra_revenue"] = out["attacker_revenue"] - key_share * pool
    out["l1_blocks_withheld_per_slot"] = by_run["l1_blocks_withheld"].mean()
    out["l1_value_forfeited"] = by_run["l1_value_forfeited"].sum()
    out["attacker_net_gain"] = out["attacker_extra_revenue"] - out["l1_value_forfeited"]
    out["share_censored_l1_blocks"] = by_run["censored_l1_blocks"].mean() / p.protocol.slot_l1_blocks
    out["share_proposal_censored"] = by_run["proposal_censored"].mean()
    delay = frame.loc[frame["inclusion_delay"] >= 0].groupby("run", observed=True)["inclusion_delay"].mean()
    out["inclusion_delay_mean"] = delay.reindex(out.index)
    votes = vote_table(traj)
    complete = votes[votes["complete"]].groupby("run")
    out["vote_windows"] = complete.size().reindex(out.index, fill_value=0)
    out["vote_pass_share"] = complete["passed"].mean().reindex(out.index)
    return out


_CACHE_KEY = "analysis.kpis"


def kpis_per_run(traj: Trajectories) -> pd.DataFrame:
    """One row per run with every KPI, computed once per trajectories object and cached on it."""
    table = traj.derived.get(_CACHE_KEY)
    if table is None:
        table = traj.derived[_CACHE_KEY] = _compute(traj)
    return table


def summary(traj: Trajectories, confidence: float = 0.95) -> pd.DataFrame:
    """The KPIs of `traj` aggregated over runs with confidence intervals (`summarize`)."""
    return summarize(kpis_per_run(traj), confidence)


def summarize(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per KPI: mean, standard deviation, Student-t confidence interval of the mean, and the number of runs."""
    values = kpis.drop(columns=["run"], errors="ignore").astype(float)
    n = values.count()
    mean = values.mean()
    std = values.std(ddof=1).fillna(0.0)
    t = pd.Series(stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), index=values.columns)
    half = (t * std / np.sqrt(n)).where(n > 1, np.nan)
    return pd.DataFrame(
        {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n.astype(int)}
    ).rename_axis("kpi")
