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
# # Explorer: move the protocol's levers
#
# ## Question
# What happens to block production, provers' business and fees when one of the protocol's main levers moves: the
# L1 gas price, the prover bond, provers' reliability and number, sequencers' downtime, censoring builders, the fee
# mechanism? Open this notebook in JupyterLab (`make lab`) and move a control: a small simulation reruns with the
# same seed (common random numbers, so what changes is the lever's doing) and the table and chart redraw. The HTML
# report shows the starting point; the controls need a running kernel.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, e.g. {"environment.l1.gas_price": 60}
slots = 288  # horizon [slots] of every rerun: two days of ten-minute slots (small, so a move takes seconds)
runs = 2  # Monte Carlo runs of every rerun
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (few keys keep reruns fast)

# %% [markdown]
# ## Assumptions
# The levers and their starting values, as used in this run (every assumption of the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
from aztec_econ.publish.explorer import KPIS_SHOWN, LEVERS, Explorer
from aztec_econ.publish.glue import glue
from IPython.display import HTML, display

params = setup(params_file, {"agents.sequencers.initial": keys, **as_overrides(overrides)}, slots=slots, runs=runs, seed=seed)
assumptions_table(params, [lever.name for lever in LEVERS])

# %% [markdown]
# ## The explorer
# Each control sets one parameter; every move reruns `runs x slots` and redraws.

# %%
explorer = Explorer(params)
explorer.widget

# %% [markdown]
# ## The starting point
# What the explorer shows before any control moves (also what the HTML report shows).

# %%
display(HTML(explorer.kpi_html()))
explorer.figure()

# %%
for name in KPIS_SHOWN:
    glue(name, float(explorer.summary.loc[name, "mean"]))
s = explorer.summary["mean"]
answer(
    f"At the starting point ({explorer.status()}) **{pct(s['share_happy'])}** of slots finalize on the happy path, "
    f"{pct(s['share_backup'])} in backup mode and {pct(s['share_skipped'])} produce no block; third-party provers "
    f"commit in {pct(s['share_third_party_commitments'])} of slots. Move a control in JupyterLab to see how a lever "
    "changes this."
)
