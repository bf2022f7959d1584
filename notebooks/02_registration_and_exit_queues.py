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
# ## Question
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
# The parameters the queues depend on, as used in this run (every assumption of the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, assumptions_table, kpi_summary, md, pct, run_simulation, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
TOPIC = [
    "agents.sequencers.initial",
    "agents.sequencers.registrations_per_day",
    "agents.sequencers.exits_per_day",
    "agents.sequencers.profit_driven_entry_exit",
    "protocol.entry_period_days",
    "protocol.exit_delay_days",
    "protocol.activation_churn_per_day",
]
assumptions_table(params, TOPIC)

# %% [markdown]
# ## Setup

# %%
traj = run_simulation(params)
kpi_summary(traj)  # every KPI of the run: in the report's appendix
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
    f"final count spans {series['active_sequencers_p10'].iloc[-1]:,.0f}-{series['active_sequencers_p90'].iloc[-1]:,.0f}"
    " keys (p10-p90)."
)
glue("active_start", start, unit="keys", description="eligible keys at the first slot (mean over runs)")
glue("active_end", end, unit="keys", description="eligible keys at the last slot (mean over runs)")

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
    glue(f"mean_{column}", simulated, unit="keys", description=f"mean keys in the {label} queue after the warm-up")
    glue(f"theory_{column}", expected[column], unit="keys", description=f"Little's law: mean keys in the {label} queue")
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
glue("mean_entry_wait_days", float(entry.mean()) if len(entry) else None, unit="days",
     description="mean time from registration to eligibility of keys registered during the runs")
glue("mean_exit_wait_days", float(exits.mean()) if len(exits) else None, unit="days",
     description="mean time from exit signal to stake release")
glue("entry_period_days", pr.entry_period_days, unit="days", description="the entry period (protocol.entry_period_days)")

# %%
queues = ", ".join(
    f"{label} queue {float(series.loc[warm, column].mean()):.1f} keys (Little's law {expected[column]:.1f})"
    for column, label in (("queued_sequencers", "entry"), ("exiting_sequencers", "exit"))
)
answer(
    f"Without a churn limit the queues follow Little's law: {queues} on average. Keys wait "
    + (f"**{entry.mean():.2f} days** to become eligible (entry period {pr.entry_period_days:g} days)" if len(entry) else "no time (none registered)")
    + (f" and {exits.mean():.2f} days for their stake after an exit signal." if len(exits) else ".")
    + f" The eligible set went from {start:,.0f} to {end:,.0f} keys over {days:.0f} days."
)
