"""KPIs per Monte Carlo run, and their aggregation over runs with confidence intervals.

Each KPI is declared once, in `KPIS`: its name (the column of `kpis_per_run`), unit, description (docs/outputs.md is
generated from them) and how it is computed, in the style of Mesa's model reporters. Every KPI reads the documented
output frame and key table through `RunData`, which computes what several KPIs share (the per-run groupby, the agent
and vote tables, ...) once, so the frame is scanned no more often than it needs to be. A KPI can thus be recomputed
from a saved Parquet file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # = scipy.stats.t.ppf (q, df swapped); scipy.stats costs 0.6 s of start-up

from aztec_econ.analysis.run_data import RowsByRun, RunData, gini, nakamoto

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

Values: TypeAlias = pd.Series | Sequence[float] | float
"""A KPI's values: a Series indexed by run, one value per run in run order, or one value for every run."""


@dataclass(frozen=True)
class KPI:
    """One KPI: a column of `kpis_per_run`."""

    name: str
    unit: str
    """Unit of its values ("share", "tokens", "%/year", ...)."""
    description: str
    """What it measures, in one line (the documentation's)."""
    compute: Callable[[RunData], Values]
    """Its values per run from the shared run data."""
    minimum: float | None = None
    """Lowest possible value (None: unbounded below); shares and 0-1 indices are bounded by [0, 1] anyway."""
    trials: str = ""
    """For a share of simulated slots, "slots": its pooled count of trials is runs x slots, so a Wilson interval
    applies (`aztec_econ.analysis.intervals`)."""

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The range its values (and any interval around them) can take."""
        if self.unit in ("share", "0-1"):
            return (0.0, 1.0)
        return (self.minimum, None)


def _total(column: str) -> Callable[[RunData], Values]:
    return lambda d: d.total(column)


def _mean(column: str) -> Callable[[RunData], Values]:
    return lambda d: d.mean(column)


def _mode_share(mode: str) -> Callable[[RunData], Values]:
    return lambda d: d.mode_share.get(mode, 0.0)


def _gap(column: str) -> Callable[[RunData], Values]:
    return lambda d: d.gaps[column]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator per run, NaN where the denominator is 0."""
    return (numerator / denominator.where(denominator != 0)).astype(float)


def _share_expired(d: RunData) -> pd.Series:
    included, expired = d.total("txs_included"), d.total("txs_expired")
    return (expired / (included + expired)).where(included + expired > 0, 0.0)


KPIS: tuple[KPI, ...] = (
    # block production
    KPI(
        "share_happy",
        "share",
        "share of slots finalized on the happy path",
        _mode_share("happy"),
        trials="slots",
    ),
    KPI(
        "share_backup",
        "share",
        "share of slots finalized in backup mode",
        _mode_share("backup"),
        trials="slots",
    ),
    KPI("share_skipped", "share", "share of slots without a block", _mode_share("skipped"), trials="slots"),
    KPI(
        "finalized_per_day",
        "blocks/day",
        "finalized blocks per day",
        lambda d: (1.0 - d.mode_share.get("skipped", 0.0)) * d.params.sim.slots / d.days,
        minimum=0.0,
    ),
    KPI(
        "gap_mean_minutes",
        "minutes",
        "mean time between consecutive finalized blocks",
        _gap("gap_mean_minutes"),
        minimum=0.0,
    ),
    KPI(
        "gap_p90_minutes",
        "minutes",
        "90th percentile of the time between consecutive finalized blocks",
        _gap("gap_p90_minutes"),
        minimum=0.0,
    ),
    KPI(
        "gap_max_minutes",
        "minutes",
        "longest time between consecutive finalized blocks",
        _gap("gap_max_minutes"),
        minimum=0.0,
    ),
    # rewards, slashing, decentralisation, supply
    KPI(
        "reward_sequencers",
        "tokens",
        "tokens minted to sequencers (`reward_sequencer`: their block-reward share, early-reveal bonuses included)",
        _total("reward_sequencer"),
        minimum=0.0,
    ),
    KPI(
        "reward_provers",
        "tokens",
        "block rewards minted to provers (self-proving sequencers included)",
        _total("reward_prover"),
        minimum=0.0,
    ),
    KPI(
        "reward_submitters",
        "tokens",
        "block rewards minted to proof submitters",
        _total("reward_submitter"),
        minimum=0.0,
    ),
    KPI(
        "reward_backup",
        "tokens",
        "block rewards minted to backup builders (the attacker's pre-built blocks included)",
        _total("reward_backup"),
        minimum=0.0,
    ),
    KPI("slashed", "tokens", "prover bonds slashed (and burned)", _total("slashed"), minimum=0.0),
    KPI(
        "slashing_events",
        "slots",
        "slots in which a bond was slashed",
        lambda d: d.by_run["slashed"].apply(lambda s: int((s > 0).sum())),
        minimum=0.0,
    ),
    KPI(
        "gini_sequencer_rewards",
        "0-1",
        "Gini coefficient of sequencer rewards over the keys eligible at some point of the horizon",
        lambda d: d.per_key(gini),
    ),
    KPI(
        "nakamoto_sequencer_rewards",
        "keys",
        "fewest keys earning more than half of the sequencer rewards (over the same keys)",
        lambda d: d.per_key(nakamoto),
        minimum=0.0,
    ),
    KPI(
        "mean_active_sequencers",
        "keys",
        "mean number of eligible keys",
        _mean("active_sequencers"),
        minimum=0.0,
    ),
    KPI(
        "gini_operator_rewards",
        "0-1",
        "Gini coefficient of sequencer rewards over the operators with a key eligible at some point of the horizon",
        lambda d: d.per_operator("rewards", gini),
    ),
    KPI(
        "nakamoto_operators",
        "operators",
        "fewest operators whose keys produced more than half of the happy-path blocks",
        lambda d: d.per_operator("blocks", nakamoto),
    ),
    KPI(
        "nakamoto_operators_third",
        "operators",
        "fewest operators whose keys produced more than a third of the happy-path blocks",
        lambda d: d.per_operator("blocks", lambda b: nakamoto(b, 1.0 / 3.0)),
    ),
    KPI(
        "mean_active_operators",
        "operators",
        "mean number of operators holding an eligible key",
        _mean("active_operators"),
    ),
    KPI(
        "share_keys_down",
        "share",
        "eligible keys whose operator is in an outage over eligible keys (`keys_down`, all slots)",
        lambda d: d.total("keys_down") / d.total("active_sequencers"),
    ),
    KPI(
        "supply_growth_pct_per_year",
        "%/year",
        "total supply growth over the horizon, annualised linearly (x 365 / days)",
        lambda d: (d.by_run["total_supply"].last() / d.opening_supply - 1.0) * 100.0 * 365.0 / d.days,
    ),
    # attacks and governance
    KPI(
        "attacker_key_share",
        "share",
        "share of the initial keys the attacker owns (its slot share without an attack)",
        lambda d: d.attacker_key_share,
    ),
    KPI(
        "attacker_share",
        "share",
        "share of slots the attacker won (`attacker_won`)",
        _mean("attacker_won"),
        trials="slots",
    ),
    KPI(
        "attacker_revenue",
        "tokens",
        "what the attacker earned as a block producer: `reward_sequencer` of the happy slots its keys won and "
        "`reward_backup` of the backup slots its pre-built block won, each with the fees and MEV the producer keeps",
        lambda d: d.attacker_revenue,
        minimum=0.0,
    ),
    KPI(
        "attacker_extra_revenue",
        "tokens",
        "attacker revenue minus `attacker_key_share` x (all sequencer and backup rewards, fees and MEV kept)",
        lambda d: d.attacker_extra_revenue,
    ),
    KPI(
        "l1_blocks_withheld_per_slot",
        "blocks/slot",
        "L1 blocks the attacker withheld per slot",
        _mean("l1_blocks_withheld"),
        minimum=0.0,
    ),
    KPI(
        "l1_value_forfeited",
        "tokens",
        "L1 proposer value forfeited by withheld blocks",
        _total("l1_value_forfeited"),
        minimum=0.0,
    ),
    KPI(
        "attacker_net_gain",
        "tokens",
        "attacker extra revenue minus forfeited L1 value",
        lambda d: d.attacker_extra_revenue - d.total("l1_value_forfeited"),
    ),
    KPI(
        "share_censored_l1_blocks",
        "share",
        "share of L1 blocks built by censoring builders",
        lambda d: d.mean("censored_l1_blocks") / d.params.protocol.slot_l1_blocks,
    ),
    KPI(
        "share_proposal_censored",
        "share",
        "share of slots whose proposal phase was censored in every L1 block",
        _mean("proposal_censored"),
        trials="slots",
    ),
    KPI(
        "inclusion_delay_mean",
        "L1 blocks",
        "mean `inclusion_delay` over slots with a landed proposal",
        lambda d: (
            RowsByRun(d.frame, d.frame["inclusion_delay"] >= 0)["inclusion_delay"].mean().reindex(d.index)
        ),
        minimum=0.0,
    ),
    KPI(
        "vote_windows",
        "windows",
        "complete upgrade-vote windows",
        lambda d: d.complete_votes.size().reindex(d.index, fill_value=0),
        minimum=0.0,
    ),
    KPI(
        "vote_pass_share",
        "share",
        "share of complete vote windows that passed; its mean over runs is the pass probability",
        lambda d: d.complete_votes["passed"].mean().reindex(d.index),
    ),
    # fees, MEV, demand
    KPI("fees_paid", "tokens", "fees users paid", _total("fees_paid"), minimum=0.0),
    KPI("fees_burned", "tokens", "fees burned", _total("fees_burned"), minimum=0.0),
    KPI("fees_to_producers", "tokens", "fees kept by block producers (`tips`)", _total("tips"), minimum=0.0),
    KPI(
        "mev_total",
        "tokens",
        "MEV extracted from included public-state transactions",
        _total("mev"),
        minimum=0.0,
    ),
    KPI("mev_burned", "tokens", "MEV burned", _total("mev_burned"), minimum=0.0),
    KPI(
        "mean_base_fee",
        "tokens/mana",
        "mean base fee over slots (0 unless `base_fee_burn`)",
        _mean("base_fee"),
        minimum=0.0,
    ),
    KPI(
        "mean_utilisation",
        "share",
        "mean capacity used by produced blocks over block capacity",
        lambda d: (d.produced["capacity_used"].mean() / d.params.protocol.block_capacity).reindex(d.index),
    ),
    KPI(
        "txs_included_per_day",
        "txs/day",
        "transactions included per day",
        lambda d: d.total("txs_included") / d.days,
        minimum=0.0,
    ),
    KPI("share_txs_expired", "share", "expired transactions over included plus expired", _share_expired),
    KPI(
        "user_surplus",
        "tokens",
        "users' value minus payment of the included transactions (`user_surplus`)",
        _total("user_surplus"),
    ),
    KPI(
        "payment_per_tx",
        "tokens/tx",
        "mean payment of an included transaction (`fees_paid` / `txs_included`)",
        lambda d: _ratio(d.total("fees_paid"), d.total("txs_included")),
    ),
    KPI(
        "payment_per_tx_eth",
        "ETH/tx",
        "the same in ETH at each slot's token price (`eth_per_token`)",
        lambda d: _ratio(
            (d.frame["fees_paid"] * d.frame["eth_per_token"]).groupby(d.frame["run"], observed=True).sum(),
            d.total("txs_included"),
        ),
    ),
    KPI(
        "producer_fee_mev_revenue",
        "tokens",
        "fees and MEV block producers keep (`tips + mev - mev_burned`)",
        lambda d: d.total("tips") + d.total("mev") - d.total("mev_burned"),
    ),
    KPI(
        "fee_cost_coverage",
        "ratio",
        "producers' fee revenue (`tips`) over their L1 and proving costs (`l1_cost + proving_cost + "
        "proving_cost_backup`): below 1, fees "
        "do not pay for blocks",
        lambda d: _ratio(
            d.total("tips"), d.total("l1_cost") + d.total("proving_cost") + d.total("proving_cost_backup")
        ),
    ),
    # L1 costs, the prover market
    KPI("mean_l1_gas_price", "gwei", "mean L1 gas price", _mean("l1_gas_price"), minimum=0.0),
    KPI(
        "l1_cost_total",
        "tokens",
        "L1 costs of every actor (token equivalent)",
        _total("l1_cost"),
        minimum=0.0,
    ),
    KPI(
        "l1_cost_per_block",
        "tokens",
        "L1 costs per produced block (token equivalent)",
        lambda d: (d.total("l1_cost") / d.produced.size()).reindex(d.index),
        minimum=0.0,
    ),
    KPI(
        "mean_prover_price",
        "tokens",
        "mean `prover_price` over slots committed to a third-party prover (0 where the slot did not end happy: "
        "the price is paid on the happy path only)",
        lambda d: d.committed["prover_price"].mean().reindex(d.index),
        minimum=0.0,
    ),
    KPI(
        "share_third_party_commitments",
        "share",
        "share of slots committed to a third-party prover",
        lambda d: (d.frame["prover"] >= 0).groupby(d.frame["run"]).mean(),
        trials="slots",
    ),
    KPI(
        "mean_prover_agreed_price",
        "tokens",
        "mean price the auction set (`prover_agreed_price`) over slots committed to a third-party prover",
        lambda d: d.committed["prover_agreed_price"].mean().reindex(d.index),
    ),
    KPI(
        "mean_prover_break_even",
        "tokens",
        "mean break-even price (cost plus risk, `prover_break_even`) of the committed third-party prover",
        lambda d: d.committed["prover_break_even"].mean().reindex(d.index),
    ),
    KPI(
        "mean_prover_margin",
        "tokens",
        "mean `prover_agreed_price - prover_break_even` over third-party commitments: the expected profit per "
        "success competition leaves the winning prover",
        lambda d: (
            d.committed["prover_agreed_price"].mean() - d.committed["prover_break_even"].mean()
        ).reindex(d.index),
    ),
    KPI(
        "share_negative_prover_prices",
        "share",
        "share of third-party commitments at a negative price (the prover pays the sequencer for the right to prove)",
        lambda d: d.committed.apply("prover_agreed_price", lambda x: float((x < 0).mean())).reindex(d.index),
    ),
    KPI(
        "hhi_provers",
        "0-1",
        "Herfindahl index of third-party commitments over provers (sum of squared shares; 1/P when P provers share "
        "equally, 1 when one takes all); NaN without commitments",
        lambda d: (
            d.committed["prover"]
            .apply(lambda x: float((x.value_counts(normalize=True) ** 2).sum()))
            .reindex(d.index)
        ),
    ),
    # supply and returns
    KPI(
        "issuance_per_year",
        "tokens/year",
        "tokens minted per year",
        lambda d: d.per_year("minted"),
        minimum=0.0,
    ),
    KPI(
        "burn_per_year",
        "tokens/year",
        "tokens burned per year (fees, MEV, slashed bonds)",
        lambda d: d.per_year("burned"),
        minimum=0.0,
    ),
    KPI(
        "net_inflation_pct_per_year",
        "%/year",
        "(issuance - burns) per year over the opening supply",
        lambda d: (d.per_year("minted") - d.per_year("burned")) / d.opening_supply * 100.0,
    ),
    KPI(
        "apr_sequencers",
        "share/year",
        "sequencers' profit per year over their capital (agent table: minimum stake x mean eligible keys)",
        lambda d: d.apr("sequencer"),
    ),
    KPI(
        "apr_provers",
        "share/year",
        "third-party provers' profit per year over their capital (all provers together; each: bond plus hardware "
        "capital, agent table)",
        lambda d: d.apr("prover"),
    ),
    KPI(
        "apr_relays",
        "share/year",
        "relays' profit per year over `agents.relays.capital` (agent table)",
        lambda d: d.apr("relay"),
    ),
    KPI(
        "apr_backup",
        "share/year",
        "backup builders' profit per year over `agents.backup.hardware_capital` (agent table)",
        lambda d: d.apr("backup"),
    ),
    KPI(
        "apr_operator_p10",
        "share/year",
        "10th percentile over operators of their APR on the stake they committed (operator table)",
        lambda d: d.operators["apr"].quantile(0.1).reindex(d.index),
    ),
    KPI(
        "apr_operator_p50",
        "share/year",
        "median over operators of their APR on the stake they committed",
        lambda d: d.operators["apr"].quantile(0.5).reindex(d.index),
    ),
    KPI(
        "apr_operator_p90",
        "share/year",
        "90th percentile over operators of their APR on the stake they committed",
        lambda d: d.operators["apr"].quantile(0.9).reindex(d.index),
    ),
    # confirmation times
    KPI(
        "confirm_proposal_median_minutes",
        "minutes",
        "median time from submission to inclusion in the winning proposal",
        lambda d: d.confirmation_quantile("proposal", 0.5),
        minimum=0.0,
    ),
    KPI(
        "confirm_finalized_l1_median_minutes",
        "minutes",
        "median time from submission to L1 finality of the block's proof",
        lambda d: d.confirmation_quantile("finalized_l1", 0.5),
        minimum=0.0,
    ),
    KPI(
        "confirm_finalized_l1_p99_minutes",
        "minutes",
        "99th percentile of the time from submission to L1 finality",
        lambda d: d.confirmation_quantile("finalized_l1", 0.99),
        minimum=0.0,
    ),
)
"""Every KPI, in column order."""


def compute_kpis(traj: Trajectories) -> pd.DataFrame:
    """One row per run (`run`, then every KPI of `KPIS`), computed afresh; `kpis_per_run` caches it."""
    data = RunData(traj)
    out = pd.DataFrame(index=pd.Index(sorted(traj.frame["run"].unique()), name="run"))
    for kpi in KPIS:
        out[kpi.name] = kpi.compute(data)
    return out.reset_index()


_CACHE_KEY = "analysis.kpis"


def kpis_per_run(traj: Trajectories) -> pd.DataFrame:
    """One row per run with every KPI, computed once per trajectories object and cached on it."""
    table = traj.derived.get(_CACHE_KEY)
    if table is None:
        table = traj.derived[_CACHE_KEY] = compute_kpis(traj)
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
    t = pd.Series(stdtrit(np.maximum(n.to_numpy() - 1, 1), 0.5 + confidence / 2), index=values.columns)
    half = (t * std / np.sqrt(n)).where(n > 1, np.nan)
    return pd.DataFrame(
        {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n.astype(int)}
    ).rename_axis("kpi")
