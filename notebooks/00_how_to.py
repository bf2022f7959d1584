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
# ## Question
# How do I open, parameterise, run, publish and extend the notebooks? Every topic of the workbench has a notebook here. This one shows how to open, parameterise, run and extend
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
# aztec-econ report notebooks/01_baseline_network_health.py -f params/scenarios/high_l1_gas.yaml --name high_gas
# papermill notebooks/01_baseline_network_health.ipynb out.ipynb -p overrides "{agents.provers.count: 5}"
# ```
#
# (`overrides` may be a mapping or YAML text, as papermill's `-p` passes it.)
#
# **Run and publish.** `aztec-econ report` executes the notebook with papermill and writes
# `reports/NAME.html` (code hidden, interactive charts that work offline, a header with the horizon, runs, seed,
# the parameters given, package version and date; then the question, the answer, the topic's assumptions and the
# headline KPIs, with every other table in a collapsed appendix), the executed `reports/NAME.ipynb`, the headline
# KPIs as `reports/NAME.kpis.csv` and `.json`, and rebuilds `reports/index.html` from `reports/index.json`. A failing notebook still produces a report, with the failing cell and the error at the top,
# and the command exits non-zero; an earlier good report of the same name is kept unless `--overwrite-failed`.
# `aztec-econ figures reports/NAME.html --format svg` exports the figures for papers.
#
# **Add a parameter set.** Create `params/scenarios/my_scenario.yaml` with `base: ../baseline.yaml` and only the
# values that change (the shipped scenarios there are examples); `aztec-econ params show FILE` prints the result and
# bad values fail with a message. `aztec-econ compare params/baseline.yaml FILE --out reports/compare` runs both
# with common random numbers and reports their KPIs side by side, with the difference and its interval.
#
# **Add a notebook.** Copy `01_baseline_network_health.py` to `notebooks/NN_topic.py` and keep its skeleton:
# question; assumptions (`assumptions_table(params, TOPIC)`: the topic's own parameters); setup (simulate,
# `kpi_summary(traj)`); analyses, each followed by an interpretation computed from the results with `md(f"...")`;
# and `answer(f"...")`, the computed answer the report shows under the question. Put logic in the package
# (`analysis`, `plots`, `theory`), draw theory on the same axes as the simulation where a closed form exists, and
# `glue()` the headline KPIs (a name declared in `aztec_econ.analysis.kpis.KPIS`, or `kpi=`/`unit=` and
# `description=`, so the report can say what each number is). Then add the
# notebook with small parameters and KPI checks to `tests/test_notebooks.py`.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides
slots = 1440  # horizon [slots]: 10 days of ten-minute slots
runs = 3  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's

# %% [markdown]
# ## Assumptions
# `assumptions_table(params, TOPIC)` lists the parameters a topic depends on (names or groups), with value, unit
# and source; the report's appendix lists every parameter whose value the spec leaves open.

# %%
from aztec_econ.publish.notebook import answer, assumptions_table, kpi_summary, md, pct, run_simulation, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
assumptions_table(params, ["agents.provers.count", "agents.provers.failure_probability", "agents.backup"])

# %% [markdown]
# ## Setup
# `simulate(params)` returns the trajectories: `traj.frame` (one row per run and slot, see `docs/outputs.md`) and
# `traj.keys` (one row per key); `aztec_econ.analysis.kpis.kpis_per_run(traj)` gives the KPIs (one row per run)
# and `kpi_summary(traj)` their means with 95% intervals (the report puts the whole table in its appendix).

# %%
traj = run_simulation(params)
summary = kpi_summary(traj)
summary.loc[["share_happy", "finalized_per_day", "gap_mean_minutes"]]

# %% [markdown]
# ## Analysis: a figure with its theory line
# Figures come from `aztec_econ.publish.plots` and share one theme and its chart rules: every trace named, theory
# dashed on the same axes, a p10-p90 band over runs around time series, intervals inside the possible range.

# %%
plots.mode_shares(analysis.mode_share_series(traj), analysis.expected_mode_shares(params))

# %% [markdown]
# ### Interpretation
# Numbers in prose are computed, never typed in; `glue(name, value)` records a headline KPI that the report's
# headline table and `reports/index.html` show (with its unit and description), and that
# `aztec_econ.publish.glue.read_glued` reads back.

# %%
share = summary.loc["share_happy", "mean"]
md(
    f"In this small run {pct(share)} of slots finalized on the happy path "
    f"(theory {pct(analysis.expected_mode_shares(params)['happy'])})."
)
glue("share_happy", share)
answer(
    f"Open with `make lab`, parameterise the `parameters` cell (or `-p NAME VALUE`), publish with "
    f"`aztec-econ report`. In this small run of {params.sim.runs} x {params.sim.slots:,} slots, "
    f"**{pct(share)}** of slots finalized on the happy path."
)
