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
# # Registration and exit queues
#
# ## Summary
# How many keys wait in the entry queue (registered, not yet eligible) and the exit queue (signalled exit, stake
# not yet released), and for how long? Without a churn limit both queues follow Little's law (mean length =
# arrival rate x delay, `aztec_econ.analysis.theory.queue_length`), drawn next to the simulation.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, e.g. {"protocol.activation_churn_per_day": 1}
slots = 8640  # horizon [slots]: 60 days of ten-minute slots
runs = 10  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's

# %% [markdown]
# ## Assumptions
# Parameters whose values the spec leaves open, as used in this run.

# %%
from aztec_econ.publish.notebook import assumptions_table, md, pct, run_simulation, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
assumptions_table(params)

# %% [markdown]
# ## Setup

# %%
traj = run_simulation(params)
pr, seqs = params.protocol, params.agents.sequencers
days = params.sim.slots / pr.slots_per_day
series = analysis.mean_over_runs(traj, ["active_sequencers", "queued_sequencers", "exiting_sequencers"])
md(
    f"Rates: {seqs.registrations_per_day:g} registrations and {seqs.exits_per_day:g} exit signals per day on average, "
    f"entry period {pr.entry_period_days:g} days, exit delay {pr.exit_delay_days:g} days, churn limit "
    + (f"{pr.activation_churn_per_day} keys/day." if pr.activation_churn_per_day else "none.")
)

# %% [markdown]
# ## Analysis 1: the active set

# %%
plots.band_lines(series, {"active_sequencers": "eligible keys"}, "Eligible keys over time", "keys")

# %% [markdown]
# ### Interpretation

# %%
start, end = series["active_sequencers"].iloc[0], series["active_sequencers"].iloc[-1]
drift = (seqs.registrations_per_day - seqs.exits_per_day) * days
md(
    f"The eligible set went from {start:,.0f} to {end:,.0f} keys on average over {days:.0f} days "
    f"({end - start:+,.0f}); equal rates of registration and exit would leave it flat, and the rates here imply "
    f"{drift:+,.0f} keys at most (registrations only count once their entry period has passed). Across runs the "
    f"final count spans {series['active_sequencers_p05'].iloc[-1]:,.0f}-{series['active_sequencers_p95'].iloc[-1]:,.0f}"
    " keys (5-95%)."
)
glue("active_start", start)
glue("active_end", end)

# %% [markdown]
# ## Analysis 2: queue lengths, simulation against Little's law

# %%
expected = analysis.expected_queues(params)
plots.band_lines(
    series,
    {"queued_sequencers": "entry queue", "exiting_sequencers": "exit queue"},
    "Keys waiting to enter and to leave",
    "keys",
    theory=expected,
)

# %% [markdown]
# ### Interpretation

# %%
warm = series["day"] >= max(pr.entry_period_days, pr.exit_delay_days)  # queues start empty at genesis
lines = []
for column, label in (("queued_sequencers", "entry"), ("exiting_sequencers", "exit")):
    simulated = float(series.loc[warm, column].mean()) if warm.any() else float("nan")
    lines.append(
        f"- **{label} queue**: {simulated:.2f} keys on average after the first "
        f"{max(pr.entry_period_days, pr.exit_delay_days):g} days; Little's law gives {expected[column]:.2f}"
        + (f" ({(simulated / expected[column] - 1):+.0%})." if expected[column] else ".")
    )
    glue(f"mean_{column}", simulated)
    glue(f"theory_{column}", expected[column])
md(
    "\n".join(lines)
    + "\n\nQueues start empty (the initial keys are eligible at genesis), so the first days are left out."
    + (" A churn limit adds waiting that Little's law with the fixed delay does not include." if pr.activation_churn_per_day else "")
)

# %% [markdown]
# ## Analysis 3: how long keys wait

# %%
waits = analysis.waiting_days(traj)
entry = waits["entry_days"].dropna().to_numpy()
plots.histogram(entry, "Days from registration to eligibility", "days", theory_mean=pr.entry_period_days, theory_label="entry period")

# %% [markdown]
# ### Interpretation

# %%
exits = waits["exit_days"].dropna()
if len(entry):
    md(
        f"{len(entry):,} keys registered during the runs and waited {entry.mean():.2f} days on average "
        f"(at most {entry.max():.2f}) before becoming eligible; the entry period is {pr.entry_period_days:g} days. "
        f"{len(exits):,} stakes were released, {exits.mean():.2f} days after the exit signal on average "
        f"(exit delay {pr.exit_delay_days:g} days). Share of keys waiting longer than the entry period: "
        f"{pct(float((entry > pr.entry_period_days + 1e-9).mean()))}."
    )
else:
    md("No key registered during the runs.")
glue("mean_entry_wait_days", float(entry.mean()) if len(entry) else None)
glue("mean_exit_wait_days", float(exits.mean()) if len(exits) else None)
glue("entry_period_days", pr.entry_period_days)
