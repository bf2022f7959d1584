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
# How the Sidecar prover market prices a block: the winning sequencer runs a sealed-bid second-price auction among
# the available provers, with its outside option (self-proving, or the block it loses to backup) as the reserve
# (`model.mechanisms.prover_market`). We compare the price with the winner's cost plus risk as the number of provers
# grows (against the closed form `theory.second_price_auction`), show how concentrated commitments are
# (`hhi_provers`), when prices turn negative (the prover pays for the right to prove), how the sequencer's strategy
# (`agents.sequencers.prover_strategy`) and the prover bond shape commitments, and what each participant earns on the
# capital it commits (`analysis.tables.agent_table`).

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
prover_counts = [1, 2, 5, 10, 20]  # numbers of provers in the auction analysis
cheap_costs = [5, 20, 40, 60]  # mean proving cost per block swept for negative prices [tokens]

# %% [markdown]
# ## Assumptions
# The prover market's parameters and the values swept, as used in this run (every assumption of the run is in the
# appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis.kpis import summary
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
               "apr_sequencers", "apr_provers", "mean_prover_agreed_price", "mean_prover_break_even",
               "mean_prover_margin", "share_negative_prover_prices", "hhi_provers"]
by_strategy = sweep_table(grid_spec(params, {"agents.sequencers.prover_strategy": strategies}), MARKET_KPIS)
by_strategy.set_index("agents.sequencers.prover_strategy")[MARKET_KPIS].T  # one column per strategy

# %% [markdown]
# ## Analysis 1: competition between provers
# In the closed-form setting (`analysis.AUCTION_SETTING`: no self-proving, no fees, proofs on time, steady L1) the
# provers' bids are fixed and evenly spaced, so the expected price is the expected second-lowest present bid, capped
# by the reserve (the sequencer's reward share): `theory.second_price_auction`, drawn as dashed lines.

# %%
auction_params = params.with_overrides(dict(analysis.AUCTION_SETTING))
by_count = sweep_table(
    grid_spec(auction_params, {"agents.provers.count": prover_counts}), MARKET_KPIS, expected=analysis.expected_auction
)
counts = by_count["agents.provers.count"].to_list()
plots.sweep_lines(
    by_count,
    "agents.provers.count",
    {"mean_prover_agreed_price": "agreed price", "mean_prover_break_even": "winner's cost plus risk"},
    "Auction price and the winner's cost against the number of provers",
    "provers",
    "tokens per block",
    theory={
        "price (theory)": (counts, by_count["theory_prover_price"].to_list()),
        "cost plus risk (theory)": (counts, by_count["theory_prover_break_even"].to_list()),
    },
)

# %% [markdown]
# ### Interpretation

# %%
c = by_count.set_index("agents.provers.count")
first, last = counts[0], counts[-1]
md(
    "\n".join(
        f"- **{n} prover{'s' if n > 1 else ''}**: price {c.loc[n, 'mean_prover_agreed_price']:.1f} tokens "
        f"(theory {c.loc[n, 'theory_prover_price']:.1f}), winner's cost plus risk "
        f"{c.loc[n, 'mean_prover_break_even']:.1f} (theory {c.loc[n, 'theory_prover_break_even']:.1f}), margin "
        f"{c.loc[n, 'mean_prover_margin']:.1f}; `hhi_provers` {c.loc[n, 'hhi_provers']:.2f}."
        for n in counts
    )
    + f"\n\nWith one prover the price is the reserve; as provers are added the second-lowest bid falls toward the "
    "cheapest prover's cost plus risk and the margin is competed away. The cheapest available prover always wins "
    "(the auction is efficient), so with unequal costs commitments stay concentrated (a high `hhi_provers`)."
)
glue("auction_price_one_prover", float(c.loc[first, "mean_prover_agreed_price"]), kpi="mean_prover_agreed_price",
     qualifier="the fewest provers")
glue("auction_price_most_provers", float(c.loc[last, "mean_prover_agreed_price"]), kpi="mean_prover_agreed_price",
     qualifier="the most provers")
glue("auction_theory_price_most_provers", float(c.loc[last, "theory_prover_price"]), kpi="mean_prover_agreed_price",
     qualifier="closed form, the most provers")
glue("hhi_provers_most_provers", float(c.loc[last, "hhi_provers"]), kpi="hhi_provers", qualifier="the most provers")

# %% [markdown]
# ## Analysis 2: negative prices
# A prover's break-even price is (cost + (1 - p) bond) / p minus its reward share: with cheap proving or a low bond
# it is negative, and the auction then makes the prover pay the sequencer for the right to prove.

# %%
by_cost = sweep_table(
    grid_spec(params, {"agents.provers.cost_per_block": [float(x) for x in cheap_costs]}), MARKET_KPIS
)
plots.sweep_lines(
    by_cost,
    "agents.provers.cost_per_block",
    {"share_negative_prover_prices": "negative prices"},
    "Share of commitments at a negative price",
    "mean proving cost per block (tokens)",
    "share of third-party commitments",
)

# %% [markdown]
# ### Interpretation

# %%
neg = by_cost.set_index("agents.provers.cost_per_block")
glue("share_negative_cheapest_cost", float(neg["share_negative_prover_prices"].iloc[0]),
     kpi="share_negative_prover_prices", qualifier="the cheapest proving cost")
md(
    "\n".join(
        f"- proving cost {x:g} tokens: price {neg.loc[x, 'mean_prover_agreed_price']:.1f}, "
        f"{pct(neg.loc[x, 'share_negative_prover_prices'])} of commitments at a negative price."
        for x in neg.index
    )
)

# %% [markdown]
# ## Analysis 3: the sequencer's strategy

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
# ## Analysis 4: the prover bond
# A prover bids only when its expected profit at the price, net of the bond it could lose, is not negative; a larger
# bond raises every bid, so it never adds commitments.

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
    f"{'never rise' if monotone else '**rise somewhere**'} as the bond grows; the share of negative prices goes from "
    f"{pct(by_bond['share_negative_prover_prices'].iloc[0])} to {pct(by_bond['share_negative_prover_prices'].iloc[-1])}."
)

# %% [markdown]
# ## Analysis 5: who earns what, on the capital committed
# Revenue, cost and profit per participant over the horizon (mean over runs), at the file's strategy, and the APR on
# the capital each role commits: stake for sequencers, bond plus hardware for provers, hardware for backup builders,
# capital for relays (ETH converted at the genesis token price).

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
apr = summary(traj)["mean"]
aprs = {role: float(apr[f"apr_{role}"]) for role in ("sequencers", "provers", "relays", "backup")}
for role, value in aprs.items():
    glue(f"apr_{role}", value)
plots.bars({role: 100 * v for role, v in aprs.items()}, "APR on capital committed, by role", "%/year")

top = s["share_third_party_commitments"].idxmax()
answer(
    f"Third-party provers commit most under **{top}** ({pct(s.loc[top, 'share_third_party_commitments'])} of slots); "
    f"raising the bond from {bonds[0]:,} to {bonds[-1]:,} tokens moves commitments from {pct(commit[0])} to "
    f"{pct(commit[-1])} (they {'never rise' if monotone else '**rise somewhere**'}). Over the horizon "
    + "; ".join(f"{role}: profit {roles.loc[role, 'profit']:,.0f} tokens" for role in roles.index)
    + "."
)
