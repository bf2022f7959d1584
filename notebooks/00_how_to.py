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

# %%

# %% [markdown]
# # How to use the aztec-econ notebooks
#
# ## Summary
# Every topic of the workbench has a notebook here. This one shows how to open, parameterise, run and extend
# them, and ends with a tiny worked example that follows the same skeleton as the others.
#
# **Open.** `make lab` creates the environment, pairs every `notebooks/*.py` with a local `.ipynb`
# (`make notebooks`, jupytext) and starts JupyterLab on the kernel **Python (aztec-econ)**. Edit either file;
# jupytext keeps the pair in sync on save. Only the `.py` scripts are committed (no outputs, readable diffs).
#
# **Parameterise.** Each notebook has one cell tagged `parameters`: `params_file` (a YAML file in `params/`,
# `None` for the baseline), `overrides` (dotted names, e.g. `{"agents.provers.count": 5}`), `slots`, `runs` and
# `seed`. Change them in the cell, or inject them without editing:
#
# ```bash
# aztec-econ report notebooks/01_baseline_network_health.py -p slots 4320 -p overrides '{agents.provers.count: 5}'
# aztec-econ report notebooks/01_baseline_network_health.py -f params/my_scenario.yaml --name my_scenario
# ```
#
# **Run and publish.** `aztec-econ report` executes the notebook with papermill and writes
# `reports/NAME.html` (code hidden, interactive charts that work offline, a header with the parameters, seed,
# package version and date), the executed `reports/NAME.ipynb`, and rebuilds `reports/index.html` from
# `reports/index.json`. A failing notebook still produces a report, with the failing cell and the error at the top,
# and the command exits non-zero; an earlier good report of the same name is kept unless `--overwrite-failed`.
# `aztec-econ figures reports/NAME.html --format svg` exports the figures for papers.
#
# **Add a parameter set.** Create `params/my_scenario.yaml` with `base: baseline.yaml` and only the values that
# change; `aztec-econ params show params/my_scenario.yaml` prints the result and bad values fail with a message.
#
# **Add a notebook.** Copy `01_baseline_network_health.py` to `notebooks/NN_topic.py` and keep its skeleton:
# summary; assumptions (`assumptions_table(params)`); setup (simulate); analyses, each followed by an
# interpretation computed from the results with `md(f"...")`. Put logic in the package (`analysis`, `plots`,
# `theory`), draw theory next to simulation where a closed form exists, and `glue()` the headline KPIs. Then add the
# notebook with small parameters and KPI checks to `tests/test_notebooks.py`.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides
slots = 1440  # horizon [slots]: 10 days of ten-minute slots
runs = 3  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's

# %% [markdown]
# ## Assumptions
# `assumptions_table` lists every parameter whose value the spec leaves open, with its unit and source.

# %%
from aztec_econ.publish.notebook import assumptions_table, md, pct, run_simulation, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import kpis
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
assumptions_table(params)

# %% [markdown]
# ## Setup
# `simulate(params)` returns the trajectories: `traj.frame` (one row per run and slot, see `docs/outputs.md`) and
# `traj.keys` (one row per key); `kpis.kpis_per_run(traj)` gives the KPIs (one row per run) and
# `kpis.summary(traj)` their means with 95% intervals.

# %%
traj = run_simulation(params)
summary = kpis.summary(traj)
summary.loc[["share_happy", "finalized_per_day", "gap_mean_minutes"]]

# %% [markdown]
# ## Analysis: a figure with its theory line
# Figures come from `aztec_econ.publish.plots` and share one theme; theory lines are dashed.

# %%
plots.mode_shares(analysis.mode_share_series(traj), analysis.expected_mode_shares(params))

# %% [markdown]
# ### Interpretation
# Numbers in prose are computed, never typed in; `glue(name, value)` records a headline KPI that the report
# header and `reports/index.html` show, and that `aztec_econ.publish.glue.read_glued` reads back.

# %%
share = summary.loc["share_happy", "mean"]
md(
    f"In this small run {pct(share)} of slots finalized on the happy path "
    f"(theory {pct(analysis.expected_mode_shares(params)['happy'])})."
)
glue("share_happy", share)
