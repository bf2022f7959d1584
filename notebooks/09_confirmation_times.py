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
# # Confirmation times
#
# ## Question
# How long a user waits from submitting a transaction to each stage of the spec's confirmation list: included in the
# winning proposal, with a prover commitment, data on DA, proven and verified on L1, and final on L1
# (`environment.l1.finality_blocks` further L1 blocks). Median, p90 and p99 per stage, and how congestion moves them.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last
slots = 1008  # horizon [slots]: 7 days of ten-minute slots
runs = 3  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys
demand_rates = [0.05, 0.1, 0.167, 0.25]  # transactions per second swept (capacity: 100 per ten-minute block, 0.167/s)

# %% [markdown]
# ## Assumptions
# The parameters confirmation times depend on, as used in this run (every assumption of the run is in the
# appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis.tables import confirmation_table
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue
from aztec_econ.simulation import simulate

params = setup(params_file, {"agents.sequencers.initial": keys, **as_overrides(overrides)}, slots=slots, runs=runs, seed=seed)
TOPIC = ["environment.demand", "environment.l1.finality_blocks", "protocol.block_capacity", "protocol.l1_block_seconds",
         "protocol.slot_l1_blocks", "protocol.proposal_phase_l1_blocks", "protocol.proving_phase_l1_blocks"]
assumptions_table(params, TOPIC)

# %% [markdown]
# ## Setup

# %%
traj = simulate(params)
table = confirmation_table(traj)
table

# %% [markdown]
# ## Analysis 1: time to each stage

# %%
stages = table.set_index("stage")
plots.category_bars(
    list(stages.index),
    {"median": stages["median_minutes"].tolist(), "p90": stages["p90_minutes"].tolist(),
     "p99": stages["p99_minutes"].tolist()},
    "Time from submission to each stage",
    "stage",
    "minutes",
)

# %% [markdown]
# ### Interpretation

# %%
ordered = bool((stages["median_minutes"].diff().dropna() >= 0).all())
finality_minutes = params.environment.l1.finality_blocks * params.protocol.l1_block_seconds / 60
gap = stages.loc["finalized_l1", "median_minutes"] - stages.loc["proven", "median_minutes"]
for stage in stages.index:
    glue(f"confirm_{stage}_median_minutes", float(stages.loc[stage, "median_minutes"]), unit="minutes",
         description=f"median time from submission to the stage '{stage}'")
glue("confirmation_stages_ordered", ordered, unit="yes/no", description="median times rise from stage to stage")
glue("finality_gap_minutes", float(gap), unit="minutes", description="median time from proven to final on L1")
glue("finality_theory_minutes", float(finality_minutes), unit="minutes",
     description="L1 finality: environment.l1.finality_blocks x the L1 block time")
md(
    f"Half of the transactions are in a winning proposal within {stages.loc['proposal', 'median_minutes']:.1f} "
    f"minutes and final on L1 within {stages.loc['finalized_l1', 'median_minutes']:.1f} minutes "
    f"(p99 {stages.loc['finalized_l1', 'p99_minutes']:.1f}). The stages are {'in order' if ordered else '**out of order**'}. "
    f"From proven to final takes {gap:.1f} minutes: the {params.environment.l1.finality_blocks} L1 blocks of finality "
    f"are {finality_minutes:.1f} minutes."
)

# %% [markdown]
# ## Analysis 2: congestion

# %%
rows = sweep_table(
    grid_spec(params, {"environment.demand.tx_per_second": [float(r) for r in demand_rates]}),
    ["confirm_proposal_median_minutes", "confirm_finalized_l1_median_minutes", "confirm_finalized_l1_p99_minutes",
     "share_txs_expired", "mean_utilisation"],
)
plots.sweep_lines(
    rows,
    "environment.demand.tx_per_second",
    {"confirm_proposal_median_minutes": "to proposal (median)", "confirm_finalized_l1_median_minutes": "to L1 finality (median)",
     "confirm_finalized_l1_p99_minutes": "to L1 finality (p99)"},
    "Confirmation time against demand",
    "transactions per second",
    "minutes",
)

# %% [markdown]
# ### Interpretation

# %%
first, last = rows.iloc[0], rows.iloc[-1]
glue("p99_finality_low_demand", float(first["confirm_finalized_l1_p99_minutes"]), kpi="confirm_finalized_l1_p99_minutes",
     qualifier="lowest demand swept")
glue("p99_finality_high_demand", float(last["confirm_finalized_l1_p99_minutes"]), kpi="confirm_finalized_l1_p99_minutes",
     qualifier="highest demand swept")
md(
    f"From {demand_rates[0]} to {demand_rates[-1]} transactions per second, blocks go from "
    f"{first['mean_utilisation']:.0%} to {last['mean_utilisation']:.0%} full, the p99 time to L1 finality from "
    f"{first['confirm_finalized_l1_p99_minutes']:.1f} to {last['confirm_finalized_l1_p99_minutes']:.1f} minutes, and "
    f"{last['share_txs_expired']:.1%} of transactions expire unserved at the top rate "
    f"({first['share_txs_expired']:.1%} at the lowest)."
)

# %%
answer(
    f"Half of the transactions are in a winning proposal within **{stages.loc['proposal', 'median_minutes']:.1f} "
    f"minutes** and final on L1 within **{stages.loc['finalized_l1', 'median_minutes']:.1f} minutes** (p99 "
    f"{stages.loc['finalized_l1', 'p99_minutes']:.1f}); {gap:.1f} of those minutes are L1 finality. From "
    f"{demand_rates[0]} to {demand_rates[-1]} transactions per slot the p99 time to finality goes from "
    f"{first['confirm_finalized_l1_p99_minutes']:.1f} to {last['confirm_finalized_l1_p99_minutes']:.1f} minutes."
)
