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
# # Global sensitivity: which uncertain parameters drive liveness, block time, returns and attack gains
#
# ## Question
# Which uncertain parameters drive liveness, block time, returns and attack gains? Many parameters of the model are uncertain (how often keys are offline, how reliable provers are, how much of
# L1 an attacker proposes, ...). This notebook ranks them in two stages, with SALib's estimators on designs the
# sweep machinery runs: **Morris screening** of many parameters (a few trajectories, one parameter moved a grid
# step at a time), then **Sobol' indices** on the few that matter (the share of each KPI's variance a parameter
# explains alone, S1, and with its interactions, ST). KPIs: the backup share, the mean time between blocks, the
# sequencers' APR and a RANDAO-biasing attacker's net gain. A control parameter that cannot affect any of them
# (how support for an upgrade ramps) is screened too: its effects must be exactly zero.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {  # dotted overrides: a small network under a RANDAO-biasing attacker
    "agents.sequencers.initial": 50,
    "attacks.randao.strategy": "reroll",
    "attacks.randao.l1_proposer_share": 0.2,
}
slots = 144  # horizon of every point [slots] (one day)
runs = 2  # Monte Carlo runs per point
seed = None  # simulation seed, the same at every point (common random numbers); None: the file's
kpis = ["share_backup", "gap_mean_minutes", "apr_sequencers", "attacker_net_gain"]
screen = {  # parameter: [low, high] for the Morris screen (two ints: integer values)
    "agents.sequencers.offline_probability": [0.0, 0.3],
    "agents.sequencers.self_prove_probability": [0.0, 0.5],
    "agents.provers.failure_probability": [0.0, 0.1],
    "agents.provers.unavailable_probability": [0.0, 0.6],
    "agents.backup.ready_probability": [0.1, 0.9],
    "protocol.block_reward": [50.0, 200.0],
    "protocol.prover_bond": [100.0, 10000.0],
    "attacks.randao.l1_proposer_share": [0.0, 0.3],
    "governance.ramp_days": [0.0, 30.0],
}
control = "governance.ramp_days"  # screened as a check: it changes votes only
trajectories = 4  # Morris trajectories: trajectories x (parameters + 1) points
levels = 4  # Morris grid levels per parameter (even)
keep = 3  # parameters kept for the Sobol' stage
sobol_n = 16  # Sobol' base sample (a power of 2): sobol_n x (keep + 2) points
design_seed = 1  # seed of the Morris and Sobol' designs

# %% [markdown]
# ## Assumptions
# The screened parameters (each varies within the range shown) and the attacker every point faces, as used at every
# point (every assumption of the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, assumptions_table, md, setup  # first: plotting set-up
import io
import tempfile

import pandas as pd

from aztec_econ.publish import search_plots
from aztec_econ.publish.glue import glue
from aztec_econ.sweep import analysis as sa
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import Sample, sample_spec

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
assumptions_table(params, ["attacks.randao", "agents.sequencers.initial"], swept={name: list(pair) for name, pair in screen.items()})

# %% [markdown]
# ## Setup
# Each stage is a sweep (`aztec_econ.sweep.spec.sample_spec`, run in this process by `run_sweep`); a sweep file
# with `sample: {method: morris, ...}` or `{method: sobol, ...}` and `aztec-econ analyze sensitivity DIR` do the same
# from the command line, on a cluster if need be.

# %%
def run_design(sample, name):
    out = tempfile.mkdtemp(prefix=f"{name}-")
    spec = sample_spec(params, sample, seed=design_seed, name=name)
    result = run_sweep(spec, out, executor="inline", progress=False, probe=False, stream=io.StringIO())
    assert result.ok, [r.error for r in result.records if r.status == "failed"][:1]
    return sa.sensitivity(out, kpis), len(spec.points)


bounds = {name: tuple(pair) for name, pair in screen.items()}
morris, morris_points = run_design(Sample("morris", trajectories, bounds, levels=levels), "morris")
md(
    f"Morris screen: **{len(bounds)} parameters**, {trajectories} trajectories of {len(bounds) + 1} points = "
    f"{morris_points} simulations of {params.sim.runs} runs x {params.sim.slots:,} slots. "
    + (f"No indices for: {', '.join(f'{k} ({why})' for k, why in morris.skipped.items())}." if morris.skipped else "")
)

# %% [markdown]
# ## Analysis 1: Morris screening

# %%
for kpi, table in morris.tables.items():
    search_plots.indices(table, kpi).show()

# %%
screened = pd.DataFrame({kpi: table["mu_star"] / table["mu_star"].max() for kpi, table in morris.tables.items()})
screened["max"] = screened.max(axis=1)
screened = screened.sort_values("max", ascending=False)
screened.round(3)

# %% [markdown]
# ### Interpretation
# mu* is the mean absolute change of a KPI when a parameter moves one grid step (as a share of its range); the
# table scales it by the largest mu* of each KPI, so 1 marks the strongest driver of that KPI.

# %%
kept = [p for p in screened.index if p != control][:keep]
top = {kpi: table.index[0] for kpi, table in morris.tables.items()}
control_effect = max(float(table.loc[control, "mu_star"]) for table in morris.tables.values())
md(
    "\n".join(f"- **{kpi}** moves most with `{name}`." for kpi, name in top.items())
    + f"\n\nThe control `{control}` has mu* = {control_effect:g} for every KPI: with the same seed at every point, "
    "a parameter that does not enter a KPI leaves it exactly unchanged, so the screen shows no noise there. "
    f"Kept for the Sobol' stage (largest scaled mu* over the KPIs): {', '.join(f'`{p}`' for p in kept)}."
)
glue("screened_parameters", len(bounds), unit="parameters", description="parameters in the Morris screen")
glue("control_mu_star", control_effect, unit="KPI units",
     description=f"largest Morris mu* of the control `{control}` over the KPIs (0: no effect at all)")
glue("kept_parameters", kept)
for kpi, name in top.items():
    glue(f"morris_top_{kpi}", name, unit="parameter", description=f"the parameter {kpi} moves most with (Morris mu*)")

# %% [markdown]
# ## Analysis 2: Sobol' indices of the kept parameters

# %%
sobol, sobol_points = run_design(Sample("sobol", sobol_n, {p: bounds[p] for p in kept}), "sobol")
md(f"Sobol' design: {sobol_n} x ({len(kept)} + 2) = {sobol_points} simulations; the others stay at their values.")
for kpi, table in sobol.tables.items():
    search_plots.indices(table, kpi).show()

# %%
pd.concat({kpi: table for kpi, table in sobol.tables.items()}, names=["kpi"]).round(3)

# %% [markdown]
# ### Interpretation

# %%
lines = []
for kpi, table in sobol.tables.items():
    first = table.index[0]
    interactions = float(table["ST"].sum() - table["S1"].sum())
    lines.append(
        f"- **{kpi}**: `{first}` explains {table.loc[first, 'ST']:.0%} of its variance with its interactions "
        f"(alone: {table.loc[first, 'S1']:.0%}, ±{table.loc[first, 'ST_conf']:.0%}); interactions add "
        f"{interactions:+.0%} over the first-order indices."
    )
    glue(f"sobol_top_{kpi}", first, unit="parameter", description=f"the parameter explaining most of the variance of {kpi} (Sobol' ST)")
    glue(f"sobol_st_top_{kpi}", float(table.loc[first, "ST"]), unit="share",
         description=f"total Sobol' index of that parameter for {kpi}")
md(
    "\n".join(lines)
    + f"\n\nThe ± are 95% bootstrap half-widths; with {sobol_n} base rows they are wide, so raise `sobol_n` "
    "(a power of 2) before relying on second digits. A total index near 0 means the parameter can be fixed "
    "anywhere in its range without changing the KPI."
)
agree = sum(sobol.tables[k].index[0] == top[k] for k in sobol.tables if k in top)
md(f"Morris and Sobol' name the same strongest parameter for **{agree} of {len(sobol.tables)}** KPIs.")
glue("stages_agree", agree, unit="KPIs", description="KPIs whose strongest parameter Morris and Sobol' agree on")

# %%
answer(
    "; ".join(
        f"**{kpi}** is driven most by `{sobol.tables[kpi].index[0]}` (total Sobol' index "
        f"{sobol.tables[kpi]['ST'].iloc[0]:.0%})"
        for kpi in sobol.tables
    )
    + f". The Morris screen of {len(bounds)} parameters kept {', '.join(f'`{p}`' for p in kept)}; the two stages "
    f"agree on the strongest parameter for {agree} of {len(sobol.tables)} KPIs, and the control `{control}` moves "
    f"nothing (mu* = {control_effect:g})."
)
