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
# ## Question
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
# The prover market's parameters and the values swept, as used in this run (every assumption of the run is in the
# appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis.tables import agent_table
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue
from aztec_econ.simulation import simulate

params = setup(
    params_file,
    {"agents.sequencers.initial": keys, "agents.provers.failure_spread": failure_spread, **as_overrides(overrides)},
    slots=slots,
    runs=runs,
    seed=seed,
)
TOPIC = ["agents.provers", "agents.sequencers.prover_strategy", "agents.sequencers.self_prove_probability",
         "agents.sequencers.proving_cost_per_block", "protocol.prover_bond", "protocol.reward_split",
         "protocol.block_reward"]
assumptions_table(params, TOPIC, swept={"agents.sequencers.prover_strategy": strategies, "protocol.prover_bond": bonds})

# %% [markdown]
# ## Setup

# %%
MARKET_KPIS = ["mean_prover_price", "share_third_party_commitments", "share_backup", "share_happy", "slashed",
               "apr_sequencers", "apr_provers"]
by_strategy = sweep_table(grid_spec(params, {"agents.sequencers.prover_strategy": strategies}), MARKET_KPIS)
by_strategy.set_index("agents.sequencers.prover_strategy")[MARKET_KPIS].T  # one column per strategy

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
    glue(f"share_third_party_{name}", s.loc[name, "share_third_party_commitments"],
         kpi="share_third_party_commitments", qualifier=f"strategy {name}")
    glue(f"share_backup_{name}", s.loc[name, "share_backup"], kpi="share_backup", qualifier=f"strategy {name}")
cheapest_price = s.loc["cheapest", "mean_prover_price"] if "cheapest" in s.index else float("nan")
glue("mean_prover_price_cheapest", cheapest_price, kpi="mean_prover_price", qualifier="strategy cheapest")
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
glue("commitments_never_rise_with_bond", monotone, unit="yes/no",
     description="third-party commitments never rise as the prover bond grows")
glue("share_third_party_lowest_bond", float(commit[0]), kpi="share_third_party_commitments", qualifier="lowest bond swept")
glue("share_third_party_highest_bond", float(commit[-1]), kpi="share_third_party_commitments",
     qualifier="highest bond swept")
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
plots.bars(dict(zip(agents["agent"], agents["profit"], strict=True)), "Profit per participant", "tokens over the horizon",
           name="profit (mean over runs)")

# %% [markdown]
# ### Interpretation

# %%
roles = agents.groupby("role")[["revenue", "cost", "profit"]].sum()
balanced = bool(((agents["revenue"] - agents["cost"] - agents["profit"]).abs() < 1e-6).all())
glue("agent_table_adds_up", balanced, unit="yes/no", description="revenue minus cost equals profit for every participant")
for role in roles.index:
    glue(f"profit_{role}", float(roles.loc[role, "profit"]), unit="tokens",
         description=f"profit of all {role} participants over the horizon (mean over runs)")
md(
    "\n".join(
        f"- **{role}**: revenue {roles.loc[role, 'revenue']:,.0f}, cost {roles.loc[role, 'cost']:,.0f}, profit "
        f"{roles.loc[role, 'profit']:,.0f} tokens over {params.sim.slots / params.protocol.slots_per_day:.0f} days."
        for role in roles.index
    )
    + f"\n\nRevenue minus cost {'equals' if balanced else '**differs from**'} profit for every participant."
)

# %%
top = s["share_third_party_commitments"].idxmax()
answer(
    f"Third-party provers commit most under **{top}** ({pct(s.loc[top, 'share_third_party_commitments'])} of slots); "
    f"raising the bond from {bonds[0]:,} to {bonds[-1]:,} tokens moves commitments from {pct(commit[0])} to "
    f"{pct(commit[-1])} (they {'never rise' if monotone else '**rise somewhere**'}). Over the horizon "
    + "; ".join(f"{role}: profit {roles.loc[role, 'profit']:,.0f} tokens" for role in roles.index)
    + "."
)
