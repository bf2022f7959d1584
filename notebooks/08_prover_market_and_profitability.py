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
# # The prover market and participant profitability
#
# ## Summary
# How the sequencer's choice of prover (`agents.sequencers.prover_strategy`) and the prover bond shape the Sidecar
# market: agreed prices, how often a third-party prover commits, how often nobody commits at a profit (backup), and
# what each participant earns: revenue, cost, profit and return on capital per role (`analysis.tables.agent_table`).

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last
slots = 1008  # horizon [slots] per point: 7 days of ten-minute slots
runs = 3  # Monte Carlo runs per point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys
strategies = ["cheapest", "most_reliable", "self_prove_when_able"]  # sequencer strategies compared
failure_spread = 0.02  # spread of provers' failure probabilities (so reliability differs between provers)
bonds = [100, 1000, 10000, 50000]  # prover bonds swept [tokens]

# %% [markdown]
# ## Assumptions
# Parameters whose values the spec leaves open, as used in this run.

# %%
from aztec_econ.publish.notebook import assumptions_table, md, pct, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis.tables import agent_table
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue
from aztec_econ.simulation import simulate

params = setup(
    params_file,
    {"agents.sequencers.initial": keys, "agents.provers.failure_spread": failure_spread, **overrides},
    slots=slots,
    runs=runs,
    seed=seed,
)
assumptions_table(params)

# %% [markdown]
# ## Setup

# %%
MARKET_KPIS = ["mean_prover_price", "share_third_party_commitments", "share_backup", "share_happy", "slashed",
               "apr_sequencers", "apr_provers"]
by_strategy = sweep_table(grid_spec(params, {"agents.sequencers.prover_strategy": strategies}), MARKET_KPIS)
by_strategy[["agents.sequencers.prover_strategy", *MARKET_KPIS]]

# %% [markdown]
# ## Analysis 1: the sequencer's strategy

# %%
plots.sweep_lines(
    by_strategy,
    "agents.sequencers.prover_strategy",
    {"share_third_party_commitments": "third-party commitments", "share_backup": "backup mode"},
    "Who proves, by the sequencer's strategy",
    "strategy",
    "share of slots",
    sort=False,
)

# %% [markdown]
# ### Interpretation

# %%
s = by_strategy.set_index("agents.sequencers.prover_strategy")
lines = []
for name in strategies:
    lines.append(
        f"- **{name}**: third-party provers commit in {pct(s.loc[name, 'share_third_party_commitments'])} of slots "
        f"at {s.loc[name, 'mean_prover_price']:.1f} tokens on average; backup mode {pct(s.loc[name, 'share_backup'], 2)}; "
        f"sequencer APR {pct(s.loc[name, 'apr_sequencers'], 2)}, prover APR {pct(s.loc[name, 'apr_provers'], 2)}."
    )
    glue(f"share_third_party_{name}", s.loc[name, "share_third_party_commitments"])
    glue(f"share_backup_{name}", s.loc[name, "share_backup"])
cheapest_price = s.loc["cheapest", "mean_prover_price"] if "cheapest" in s.index else float("nan")
glue("mean_prover_price_cheapest", cheapest_price)
md("\n".join(lines))

# %% [markdown]
# ## Analysis 2: the prover bond
# A prover commits only when its expected profit, net of the bond it could lose, is not negative; a larger bond
# therefore never adds commitments.

# %%
by_bond = sweep_table(grid_spec(params, {"protocol.prover_bond": [float(b) for b in bonds]}), MARKET_KPIS)
plots.sweep_lines(
    by_bond,
    "protocol.prover_bond",
    {"share_third_party_commitments": "third-party commitments", "share_backup": "backup mode"},
    "Commitments against the prover bond",
    "prover bond (tokens)",
    "share of slots",
    log_x=True,
)

# %% [markdown]
# ### Interpretation

# %%
commit = by_bond["share_third_party_commitments"].to_numpy()
monotone = bool((commit[1:] <= commit[:-1] + 1e-12).all())
glue("commitments_never_rise_with_bond", monotone)
glue("share_third_party_lowest_bond", float(commit[0]))
glue("share_third_party_highest_bond", float(commit[-1]))
md(
    f"From a bond of {bonds[0]:,} to {bonds[-1]:,} tokens, third-party commitments go from {pct(commit[0])} to "
    f"{pct(commit[-1])} of slots and backup mode from {pct(by_bond['share_backup'].iloc[0], 2)} to "
    f"{pct(by_bond['share_backup'].iloc[-1], 2)}; commitments "
    f"{'never rise' if monotone else '**rise somewhere**'} as the bond grows."
)

# %% [markdown]
# ## Analysis 3: who earns what
# Revenue, cost and profit per participant over the horizon (mean over runs), at the file's strategy.

# %%
traj = simulate(params)
agents = agent_table(traj).groupby(["agent", "role"], as_index=False)[["revenue", "cost", "profit", "apr"]].mean()
plots.bars(dict(zip(agents["agent"], agents["profit"], strict=True)), "Profit per participant", "tokens over the horizon")

# %% [markdown]
# ### Interpretation

# %%
roles = agents.groupby("role")[["revenue", "cost", "profit"]].sum()
balanced = bool(((agents["revenue"] - agents["cost"] - agents["profit"]).abs() < 1e-6).all())
glue("agent_table_adds_up", balanced)
for role in roles.index:
    glue(f"profit_{role}", float(roles.loc[role, "profit"]))
md(
    "\n".join(
        f"- **{role}**: revenue {roles.loc[role, 'revenue']:,.0f}, cost {roles.loc[role, 'cost']:,.0f}, profit "
        f"{roles.loc[role, 'profit']:,.0f} tokens over {params.sim.slots / params.protocol.slots_per_day:.0f} days."
        for role in roles.index
    )
    + f"\n\nRevenue minus cost {'equals' if balanced else '**differs from**'} profit for every participant."
)
