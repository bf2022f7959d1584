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
# # Mechanism search: liveness against issuance, under a return floor and an attack constraint
#
# ## Question
# How much block reward does the protocol need? A higher reward keeps provers committing (the happy path) but
# mints more tokens. This notebook runs an optimisation study (`params/studies/liveness_vs_issuance.yaml`: Optuna's
# NSGA-II over the block reward, the prover bond and the backup builders' share) that maximises the happy-path share
# and minimises issuance per year, keeping only designs whose sequencers at least break even (the lower 95% bound
# of their APR) and under which a RANDAO-biasing attacker gains nothing. It shows every trial, the Pareto front, and the
# design chosen on it with its KPIs and their confidence intervals.

# %% tags=["parameters"]
study_file = "params/studies/liveness_vs_issuance.yaml"  # relative to the project root
overrides = {}  # dotted overrides of every trial, e.g. {"agents.provers.count": 5}
slots = 288  # horizon of every trial [slots] (two days); the study file's own is 30 days
runs = 3  # Monte Carlo runs per trial
seed = None  # simulation seed, the same for every trial (common random numbers); None: the study's
trials = 20  # trials of the study (two NSGA-II generations of 10)
liveness_tolerance = 0.01  # the chosen design: the least issuance within this of the best happy-path share

# %% [markdown]
# ## Assumptions
# The decision variables (each searched within the range shown) as the study's base sets them (every assumption of
# the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
import io
import tempfile

import pandas as pd

from aztec_econ.params import PROJECT_ROOT, describe_fields
from aztec_econ.publish import search_plots
from aztec_econ.publish.glue import glue
from aztec_econ.sweep.optimize import load_study, optimize

extra = as_overrides(overrides) | {"sim.slots": slots, "sim.runs": runs} | ({"sim.seed": seed} if seed is not None else {})
spec = load_study(PROJECT_ROOT / study_file, extra)
params = setup(None, spec.base_params.flat())  # the study's base, as every trial sees it
assumptions_table(
    spec.base_params,
    swept={v.name: list(v.choices) if v.kind == "choice" else [v.low, v.high] for v in spec.variables},
)

# %% [markdown]
# ## Setup

# %%
out = tempfile.mkdtemp(prefix="mechanism-search-")
result = optimize(spec, trials, out, executor="inline", stream=io.StringIO())  # progress lines discarded
table = result.trials
objectives = list(spec.objectives)
x, y = objectives[1].kpi, objectives[0].kpi
variables = [v.name for v in spec.variables]
md(
    f"**{len(table)} trials** of {spec.base_params.sim.runs} runs x {spec.base_params.sim.slots:,} slots "
    f"({spec.sampler}, seed {spec.seed}), {result.evaluated} simulations, {result.seconds:.0f} s. Objectives: "
    + "; ".join(o.label for o in objectives)
    + ". Constraints: "
    + ("; ".join(f"`{c.text}`" for c in spec.constraints) or "none")
    + ". The same command-line study: `aztec-econ optimize "
    + f"{study_file} --trials {trials} --out DIR`."
)
table[["trial", "state", *variables, "feasible", "pareto", f"{y}_mean", f"{x}_mean"]].round(4)

# %% [markdown]
# ## Analysis 1: the Pareto front

# %%
search_plots.pareto_front(table, x, y, [objectives[1].direction, objectives[0].direction])

# %% [markdown]
# ### Interpretation

# %%
best = result.best
if best["status"] != "ok":
    md(f"**No feasible design** ({best['status']}): {best['message']}.")
else:
    front = table[table["pareto"]].sort_values(f"{x}_mean")
    md(
        f"{best['feasible']} of {best['trials']} trials meet every constraint; **{len(front)}** of them are on the "
        f"Pareto front, where more liveness costs more issuance: from {pct(front[f'{y}_mean'].iloc[0], 2)} of "
        f"slots on the happy path at {front[f'{x}_mean'].iloc[0]:,.0f} tokens a year to "
        f"{pct(front[f'{y}_mean'].iloc[-1], 2)} at {front[f'{x}_mean'].iloc[-1]:,.0f}. "
        + " ".join(
            f"`{c['constraint']}` holds for {c['satisfied_by']} of {best['complete']} trials."
            for c in best["constraints"]
        )
    )
glue("trials", len(table), unit="trials", description="trials of the study")
glue("feasible", best["feasible"], unit="trials", description="trials meeting every constraint")
glue("pareto", best["pareto"], unit="trials", description="feasible trials on the Pareto front")
glue("status", best["status"], unit="status", description="ok: a feasible design was found; otherwise why not")

# %% [markdown]
# ## Analysis 2: the chosen design

# %%
chosen = None
if best["status"] == "ok":
    front = table[table["pareto"]]
    near = front[front[f"{y}_mean"] >= front[f"{y}_mean"].max() - liveness_tolerance]
    chosen = near.sort_values([f"{x}_mean", "trial"]).iloc[0]
    shown = [o.kpi for o in objectives] + [c.kpi for c in spec.constraints]
    shown += ["share_backup", "share_skipped", "apr_provers"]
    kpi_table = pd.DataFrame(
        {
            s: [chosen[f"{k}_{s}"] for k in dict.fromkeys(shown)]
            for s in ("mean", "ci_low", "ci_high")
        },
        index=list(dict.fromkeys(shown)),
    )
    display(pd.Series({v: chosen[v] for v in variables}, name="value").to_frame())
    display(kpi_table.map(lambda v: f"{v:,.4g}"))

# %% [markdown]
# ### Interpretation

# %%
if chosen is not None:
    md(
        f"Trial {int(chosen['trial'])} is the least-issuance design within {pct(liveness_tolerance)} of the best "
        f"happy-path share on the front: "
        + ", ".join(f"`{v}` = {chosen[v]:,.4g}" for v in variables)
        + f". It keeps {pct(chosen[f'{y}_mean'], 2)} of slots on the happy path (95% CI "
        f"{pct(chosen[f'{y}_ci_low'], 2)} to {pct(chosen[f'{y}_ci_high'], 2)}) for "
        f"{chosen[f'{x}_mean']:,.0f} tokens a year, with sequencers earning "
        f"{pct(chosen['apr_sequencers_mean'])} a year (lower bound {pct(chosen['apr_sequencers_ci_low'])}). "
        "All trials share one seed (common random numbers), so differences between designs are not draw noise; "
        "the intervals are over the Monte Carlo runs of the chosen design."
    )
    units = {name: unit for name, unit, *_ in describe_fields()}
    glue("chosen_trial", int(chosen["trial"]), unit="trial", description="the chosen design's trial number")
    for v in variables:
        glue(f"chosen_{v}", float(chosen[v]), unit=units[v] or "value", description=f"the chosen design's `{v}`")
    glue(f"chosen_{y}", float(chosen[f"{y}_mean"]), kpi=y, qualifier="the chosen design, mean over runs")
    glue(f"chosen_{x}", float(chosen[f"{x}_mean"]), kpi=x, qualifier="the chosen design, mean over runs")
    glue("chosen_apr_sequencers_ci_low", float(chosen["apr_sequencers_ci_low"]), kpi="apr_sequencers",
         qualifier="the chosen design, lower 95% bound")
    answer(
        f"On the Pareto front of {best['pareto']} designs ({best['feasible']} of {best['trials']} trials feasible), "
        "the least-issuance design within "
        f"{pct(liveness_tolerance)} of the best happy-path share sets "
        + ", ".join(f"`{v}` = {chosen[v]:,.4g}" for v in variables)
        + f": {pct(chosen[f'{y}_mean'], 2)} of slots on the happy path for {chosen[f'{x}_mean']:,.0f} tokens a "
        f"year, sequencers earning at least {pct(chosen['apr_sequencers_ci_low'])} a year (lower 95% bound)."
    )
else:
    md("No design is chosen: relax a constraint, widen the variables' bounds or run more trials.")
    answer(f"No feasible design in {len(table)} trials ({best['status']}): relax a constraint, widen the bounds or "
           "run more trials.")
