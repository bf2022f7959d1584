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
# Who ends up with what users pay under each `protocol.fee_mechanism` (`first_price`, `base_fee_burn`, `full_burn`,
# `mev_burn`), and what that does to supply and to sequencers' returns, with demand held identical (one seed gives
# the same transactions under every mechanism). The EIP-1559 base fee is checked against its closed-form
# equilibrium under a linear demand curve, and each mechanism is swept over the demand rate.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last
slots = 1008  # horizon [slots] per point: 7 days of ten-minute slots
runs = 3  # Monte Carlo runs per point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (fees do not depend on the count)
mechanisms = ["first_price", "base_fee_burn", "full_burn", "mev_burn"]  # mechanisms compared
demand_rates = [30, 120]  # transactions per slot swept
equilibrium_rate = 400  # tx per slot of the equilibrium check (uniform bids, one-slot expiry)

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

params = setup(params_file, {"agents.sequencers.initial": keys, **as_overrides(overrides)}, slots=slots, runs=runs, seed=seed)
TOPIC = ["protocol.fee_mechanism", "protocol.base_fee", "protocol.mev_burn_share", "protocol.block_capacity",
         "environment.demand"]
assumptions_table(params, TOPIC, swept={"protocol.fee_mechanism": mechanisms})

# %% [markdown]
# ## Setup
# One simulation per mechanism at the file's demand; the same seed everywhere (common random numbers).

# %%
FEE_KPIS = ["fees_paid", "fees_burned", "fees_to_producers", "mev_total", "mev_burned", "mean_base_fee",
            "net_inflation_pct_per_year", "apr_sequencers", "txs_included_per_day", "share_txs_expired"]
compared = sweep_table(
    grid_spec(params, {"protocol.fee_mechanism": mechanisms}),
    FEE_KPIS,
    extra=lambda traj: {"txs_arrived": float(traj.frame["txs_arrived"].sum())},
)
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
        f"- **{m}**: users paid {paid:,.0f} tokens per run, {pct(burned_share)} burned; producers kept "
        f"{by.loc[m, 'fees_to_producers']:,.0f}; net inflation {by.loc[m, 'net_inflation_pct_per_year']:.3f}%/year; "
        f"sequencer APR {pct(by.loc[m, 'apr_sequencers'], 2)}."
    )
    glue(f"fees_burned_share_{m}", burned_share, unit="share", description=f"share of the fees users paid that was burned ({m})")
    glue(f"apr_sequencers_{m}", by.loc[m, "apr_sequencers"], kpi="apr_sequencers", qualifier=m)
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
    "environment.demand.tx_rate_per_slot": float(equilibrium_rate),
    "environment.demand.bid_distribution": "uniform",
    "environment.demand.expiry_slots": 1,
    "environment.demand.shock_probability": 0.0,
})


eq_traj = simulate(eq_params)
expected_fee = theory.eip1559_equilibrium_base_fee(
    float(equilibrium_rate), demand.tx_size, eq_params.protocol.block_capacity,
    eq_params.protocol.base_fee.target_utilisation, demand.bid_scale,
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
    grid_spec(params, {"protocol.fee_mechanism": mechanisms, "environment.demand.tx_rate_per_slot": [float(r) for r in demand_rates]}),
    ["fees_to_producers", "fees_burned", "apr_sequencers", "share_txs_expired"],
)
plots.sweep_lines(across, "environment.demand.tx_rate_per_slot", "fees_to_producers",
                  "Fees kept by producers against demand", "transactions per slot", "tokens (mean per run)",
                  group="protocol.fee_mechanism")

# %% [markdown]
# ### Interpretation

# %%
top = across[across["environment.demand.tx_rate_per_slot"] == max(demand_rates)].set_index("protocol.fee_mechanism")
low = across[across["environment.demand.tx_rate_per_slot"] == min(demand_rates)].set_index("protocol.fee_mechanism")
lines = []
for m in mechanisms:
    growth = top.loc[m, "fees_to_producers"] / low.loc[m, "fees_to_producers"] if low.loc[m, "fees_to_producers"] > 0 else float("nan")
    lines.append(
        f"- **{m}**: from {min(demand_rates)} to {max(demand_rates)} tx/slot producers' fees go from "
        f"{low.loc[m, 'fees_to_producers']:,.0f} to {top.loc[m, 'fees_to_producers']:,.0f} tokens"
        + (f" (x{growth:.1f})" if growth == growth else "")
        + f"; expired transactions {pct(top.loc[m, 'share_txs_expired'])} at the top rate."
    )
md("\n".join(lines))

# %%
burned = ", ".join(
    f"{m} {pct(by.loc[m, 'fees_burned'] / by.loc[m, 'fees_paid'] if by.loc[m, 'fees_paid'] > 0 else float('nan'))}"
    for m in by.index
)
best = by["apr_sequencers"].idxmax()
answer(
    f"On identical demand the share of fees burned is {burned}; sequencers earn most under **{best}** "
    f"(APR {pct(by.loc[best, 'apr_sequencers'], 2)}). The EIP-1559 base fee settles at {simulated_fee:.5f} "
    f"tokens/mana against the closed form {expected_fee:.5f} ({'agrees' if agree else '**disagrees**'})."
)
