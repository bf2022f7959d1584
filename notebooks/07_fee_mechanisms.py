# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (aztec-econ)
#     language: python
#     name: aztec-econ
# ---

# %% [markdown]
# # Fee mechanisms compared
#
# ## Question
# Who gains and who loses under each `protocol.fee_mechanism` (`first_price`, `base_fee_burn`, `full_burn`,
# `mev_burn`, `cost_based`), with demand held identical (one seed gives the same transactions and the same values
# under every mechanism)? Users bid by each mechanism's strategy (`model.mechanisms.fees`): shaded first-price bids
# from recent clearing prices, or EIP-1559's base fee plus a priority fee; the cost-based fee covers a block's L1
# and proving costs. The EIP-1559 base fee is checked against its closed-form equilibrium, and every mechanism is
# swept across demand from far below to above capacity: users' surplus, producers' revenue, burns, supply and
# sequencers' returns, and whether fees cover the costs of blocks.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last
slots = 1008  # horizon [slots] per point: 7 days of ten-minute slots
runs = 3  # Monte Carlo runs per point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (fees do not depend on the count)
mechanisms = ["first_price", "base_fee_burn", "full_burn", "mev_burn", "cost_based"]  # mechanisms compared
demand_rates = [0.03, 0.08, 0.17, 0.3, 0.5]  # transactions per second swept (capacity: 0.167/s; 0.1 = 60 per slot)
equilibrium_rate = 0.667  # transactions per second of the equilibrium check (uniform bids, one-slot expiry)

# %% [markdown]
# ## Assumptions
# The fee rules and the demand they face, as used in this run (demand and L1 prices are all assumptions; every
# assumption of the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.analysis import theory
from aztec_econ.simulation import simulate
from aztec_econ.publish.glue import glue
from aztec_econ.analysis.tables import value_decile_table

params = setup(params_file, {"agents.sequencers.initial": keys, **as_overrides(overrides)}, slots=slots, runs=runs, seed=seed)
TOPIC = ["protocol.fee_mechanism", "protocol.base_fee", "protocol.mev_burn_share", "protocol.block_capacity",
         "environment.demand"]
assumptions_table(params, TOPIC, swept={"protocol.fee_mechanism": mechanisms})

# %% [markdown]
# ## Setup
# One simulation per mechanism at the file's demand; the same seed everywhere (common random numbers).

# %%
FEE_KPIS = ["fees_paid", "fees_burned", "fees_to_producers", "mev_total", "mev_burned", "mean_base_fee",
            "net_inflation_pct_per_year", "apr_sequencers", "txs_included_per_day", "share_txs_expired",
            "user_surplus", "payment_per_tx", "producer_fee_mev_revenue", "fee_cost_coverage"]


def by_value(traj):
    """Share of each value decile's transactions that expired unserved (1: lowest values)."""
    table = value_decile_table(traj).set_index("decile")
    return {"txs_arrived": float(traj.frame["txs_arrived"].sum()),
            **{f"expired_decile_{d}": float(table.loc[d, "share_expired"]) for d in (1, 5, 10) if d in table.index}}


compared = sweep_table(grid_spec(params, {"protocol.fee_mechanism": mechanisms}), FEE_KPIS, extra=by_value)
compared.set_index("protocol.fee_mechanism")[FEE_KPIS].T  # one column per mechanism: fits the page

# %% [markdown]
# ## Analysis 1: where the fees go

# %%
plots.sweep_lines(
    compared,
    "protocol.fee_mechanism",
    {"fees_to_producers": "kept by producers", "fees_burned": "fees burned", "mev_burned": "MEV burned"},
    "Fees and MEV by mechanism (same demand)",
    "fee mechanism",
    "tokens over the horizon (mean per run)",
    sort=False,
)

# %% [markdown]
# ### Interpretation

# %%
by = compared.set_index("protocol.fee_mechanism")
same_demand = by["txs_arrived"].nunique() == 1
lines = [
    f"- Demand is {'identical' if same_demand else '**not identical**'} across mechanisms "
    f"({by['txs_arrived'].iloc[0]:,.0f} transactions submitted per {params.sim.runs} runs)."
]
for m in by.index:
    paid = by.loc[m, "fees_paid"]
    burned_share = by.loc[m, "fees_burned"] / paid if paid > 0 else float("nan")
    lines.append(
        f"- **{m}**: users paid {paid:,.0f} tokens per run ({by.loc[m, 'payment_per_tx']:.4f} per transaction), "
        f"{pct(burned_share)} burned, and kept a surplus of {by.loc[m, 'user_surplus']:,.0f}; producers kept "
        f"{by.loc[m, 'fees_to_producers']:,.0f} of fees ({by.loc[m, 'producer_fee_mev_revenue']:,.0f} with MEV), "
        f"covering {by.loc[m, 'fee_cost_coverage']:.2f}x their L1 and proving costs; "
        f"{pct(by.loc[m, 'expired_decile_1'])} of the lowest-value decile and {pct(by.loc[m, 'expired_decile_10'])} "
        f"of the highest expired unserved; sequencer APR {pct(by.loc[m, 'apr_sequencers'], 2)}."
    )
    glue(f"fees_burned_share_{m}", burned_share, unit="share", description=f"share of the fees users paid that was burned ({m})")
    glue(f"apr_sequencers_{m}", by.loc[m, "apr_sequencers"], kpi="apr_sequencers", qualifier=m)
    glue(f"user_surplus_{m}", by.loc[m, "user_surplus"], kpi="user_surplus", qualifier=m)
    glue(f"fee_cost_coverage_{m}", by.loc[m, "fee_cost_coverage"], kpi="fee_cost_coverage", qualifier=m)
glue("same_demand_across_mechanisms", bool(same_demand), unit="yes/no",
     description="every mechanism saw the same submitted transactions (common random numbers)")
md("\n".join(lines))

# %% [markdown]
# ## Analysis 2: the EIP-1559 base fee against its equilibrium
# With bids uniform on [0, bid_scale] per unit and transactions that leave after one slot, the base fee settles where
# the expected block uses the target (`theory.eip1559_equilibrium_base_fee`).

# %%
demand = params.environment.demand
eq_params = params.with_overrides({
    "protocol.fee_mechanism": "base_fee_burn",
    "environment.demand.tx_per_second": float(equilibrium_rate),
    "environment.demand.bid_distribution": "uniform",
    "environment.demand.expiry_minutes": params.protocol.slot_seconds / 60,
    "environment.demand.shocks_per_day": 0.0,
})


eq_traj = simulate(eq_params)
expected_fee = theory.eip1559_equilibrium_base_fee(
    float(equilibrium_rate) * eq_params.protocol.slot_seconds, demand.tx_size, eq_params.protocol.block_capacity,
    eq_params.protocol.base_fee.target_utilisation, demand.bid_scale, eq_params.protocol.base_fee.priority_fee,
)
series = analysis.mean_over_runs(eq_traj, ["base_fee"])
plots.band_lines(series, {"base_fee": "base fee"}, "Base fee under constant linear demand", "tokens per mana",
                 theory={"base_fee": expected_fee})

# %% [markdown]
# ### Interpretation

# %%
late = eq_traj.frame[eq_traj.frame["slot"] >= eq_params.sim.slots // 2]
per_run = late.groupby("run")["base_fee"].mean()
simulated_fee = float(per_run.mean())
bucket = demand.bid_scale / demand.bid_buckets
agree = abs(simulated_fee - expected_fee) <= bucket + 4 * float(per_run.std(ddof=1) or 0) / len(per_run) ** 0.5
glue("base_fee_equilibrium_simulated", simulated_fee, kpi="mean_base_fee",
     qualifier="second half of the equilibrium run, mean over runs")
glue("base_fee_equilibrium_theory", expected_fee, unit="tokens/mana",
     description="closed-form EIP-1559 equilibrium base fee under the equilibrium run's linear demand")
md(
    f"Over the second half of the run the base fee averages {simulated_fee:.5f} tokens/mana against the closed form "
    f"{expected_fee:.5f}: the simulation {'agrees' if agree else '**disagrees**'} within one bid bucket "
    f"({bucket:.5f}) plus four standard errors. Blocks used {pct(late['capacity_used'].mean() / eq_params.protocol.block_capacity)} "
    f"of capacity (target {pct(eq_params.protocol.base_fee.target_utilisation)})."
)

# %% [markdown]
# ## Analysis 3: mechanisms across demand

# %%
across = sweep_table(
    grid_spec(params, {"protocol.fee_mechanism": mechanisms, "environment.demand.tx_per_second": [float(r) for r in demand_rates]}),
    ["fees_to_producers", "fees_burned", "apr_sequencers", "share_txs_expired", "user_surplus",
     "producer_fee_mev_revenue", "fee_cost_coverage"],
)
for kpi, title, unit in [
    ("user_surplus", "Users' surplus against demand", "tokens (mean per run)"),
    ("producer_fee_mev_revenue", "Fees and MEV kept by producers against demand", "tokens (mean per run)"),
    ("fees_burned", "Fees burned against demand", "tokens (mean per run)"),
    ("fee_cost_coverage", "Producers' fees over their L1 and proving costs", "ratio"),
]:
    plots.sweep_lines(across, "environment.demand.tx_per_second", kpi, title, "transactions per second", unit,
                      group="protocol.fee_mechanism")

# %% [markdown]
# ### Interpretation

# %%
top = across[across["environment.demand.tx_per_second"] == max(demand_rates)].set_index("protocol.fee_mechanism")
low = across[across["environment.demand.tx_per_second"] == min(demand_rates)].set_index("protocol.fee_mechanism")
lines = []
for m in mechanisms:
    growth = top.loc[m, "fees_to_producers"] / low.loc[m, "fees_to_producers"] if low.loc[m, "fees_to_producers"] > 0 else float("nan")
    lines.append(
        f"- **{m}**: from {min(demand_rates)} to {max(demand_rates)} tx/s producers' fees go from "
        f"{low.loc[m, 'fees_to_producers']:,.0f} to {top.loc[m, 'fees_to_producers']:,.0f} tokens"
        + (f" (x{growth:.1f})" if growth == growth else "")
        + f"; expired transactions {pct(top.loc[m, 'share_txs_expired'])} at the top rate; users' surplus "
        f"{low.loc[m, 'user_surplus']:,.0f} -> {top.loc[m, 'user_surplus']:,.0f}; fees cover "
        f"{top.loc[m, 'fee_cost_coverage']:.2f}x the costs of blocks at the top rate."
    )
best = top["user_surplus"].idxmax()
covering = [m for m in mechanisms if top.loc[m, "fee_cost_coverage"] >= 1]
lines.append(
    f"\nAt the top demand users keep the most under **{best}**; fees pay for blocks under "
    + (", ".join(f"**{m}**" for m in covering) if covering else "no mechanism")
    + " (a coverage below 1 means block rewards, not fees, pay for L1 and proving)."
)
glue("best_surplus_at_top_demand", best, unit="mechanism",
     description=f"the mechanism under which users keep the most surplus at the top demand ({max(demand_rates)} tx/s)")
md("\n".join(lines))

# %%
burned = ", ".join(
    f"{m} {pct(by.loc[m, 'fees_burned'] / by.loc[m, 'fees_paid'] if by.loc[m, 'fees_paid'] > 0 else float('nan'))}"
    for m in by.index
)
best_apr = by["apr_sequencers"].idxmax()
answer(
    f"On identical demand the share of fees burned is {burned}; sequencers earn most under **{best_apr}** "
    f"(APR {pct(by.loc[best_apr, 'apr_sequencers'], 2)}). At the top demand users keep the most surplus under "
    f"**{best}**, and fees pay for blocks under "
    + (", ".join(f"**{m}**" for m in covering) if covering else "no mechanism")
    + f". The EIP-1559 base fee settles at {simulated_fee:.5f} tokens/mana against the closed form "
    f"{expected_fee:.5f} ({'agrees' if agree else '**disagrees**'})."
)
