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
# # Rewards, bonds and slashing
#
# ## Question
# Where do block rewards go (sequencers, provers, proof submitters, backup builders), how unequal are sequencer
# rewards across keys, and how often are prover bonds slashed? Inequality is drawn against the luck-only Lorenz
# curve of equal keys (Poisson wins, `aztec_econ.analysis.theory.poisson_lorenz`), slashing against its closed form.
# Last, what the split, the prover auction and the bond leave each role on the capital it commits (APR), and how the
# auction divides the prover's part between prover and sequencer (prices may be negative).

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, e.g. {"agents.provers.failure_probability": 0.05}
slots = 8640  # horizon [slots]: 60 days of ten-minute slots
runs = 10  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's

# %% [markdown]
# ## Assumptions
# The parameters rewards and slashing depend on, as used in this run (every assumption of the run is in the
# appendix).

# %%
from aztec_econ.publish.notebook import answer, assumptions_table, kpi_summary, md, pct, run_simulation, setup  # first: plotting set-up
from aztec_econ.analysis import expectations as analysis
from aztec_econ.publish import plots
from aztec_econ.analysis import theory
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
TOPIC = [
    "protocol.block_reward",
    "protocol.reward_split",
    "protocol.backup_reward_share",
    "protocol.prover_bond",
    "protocol.slash_bond_on_missed_reveal",
    "agents.sequencers.reveal_failure_probability",
    "agents.sequencers.self_prove_probability",
    "agents.provers.failure_probability",
    "agents.relays.submission_share",
    "agents.sequencers.registrations_per_day",
    "agents.sequencers.exits_per_day",
]
assumptions_table(params, TOPIC)

# %% [markdown]
# ## Setup

# %%
traj = run_simulation(params)
summary = kpi_summary(traj)  # every KPI of the run: in the report's appendix
pr = params.protocol
days = params.sim.slots / pr.slots_per_day
md(
    f"Block reward "
    f"{pr.block_reward:g} tokens split {pr.reward_split.sequencer:g}/{pr.reward_split.prover:g}/"
    f"{pr.reward_split.submitter:g} (sequencer/prover/submitter), prover bond {pr.prover_bond:g} tokens."
)

# %% [markdown]
# ## Analysis 1: rewards by role

# %%
roles = {
    "sequencers": "reward_sequencers",
    "provers": "reward_provers",
    "submitters": "reward_submitters",
    "backup builders": "reward_backup",
}
per_day = {role: summary.loc[kpi, "mean"] / days for role, kpi in roles.items()}
half_width = {role: (summary.loc[kpi, "ci_high"] - summary.loc[kpi, "mean"]) / days for role, kpi in roles.items()}
plots.bars(per_day, "Block rewards per day by role", "tokens per day", errors=half_width, name="rewards per day",
           minimum=0.0, method="95% t interval over runs")

# %% [markdown]
# ### Interpretation

# %%
total = sum(per_day.values())
happy = per_day["sequencers"] + per_day["provers"] + per_day["submitters"]
md(
    f"The protocol minted {total:,.0f} tokens a day in block rewards: "
    + ", ".join(f"{role} {pct(v / total)}" for role, v in per_day.items())
    + f". On the happy path the sequencers' part is {pct(per_day['sequencers'] / happy)} "
    f"(split parameter: {pct(pr.reward_split.sequencer)}); backup blocks pay "
    f"{pct(pr.backup_reward_share)} of the block reward to the builder."
)
for role, kpi in roles.items():
    glue(f"{kpi}_per_day", per_day[role])

# %% [markdown]
# ## Analysis 2: inequality of sequencer rewards

# %%
rewards = analysis.sequencer_rewards(traj)
luck_mean = analysis.luck_only_win_mean(traj)
plots.lorenz(*analysis.lorenz_points(rewards), theory=theory.poisson_lorenz(luck_mean))

# %% [markdown]
# ### Interpretation

# %%
gini_sim = summary.loc["gini_sequencer_rewards", "mean"]
gini_luck = theory.poisson_gini(luck_mean)
md(
    f"The Gini coefficient of sequencer rewards is **{gini_sim:.3f}** (mean over runs); equal keys that differ "
    f"only by luck (about {luck_mean:.1f} rewarded wins each) would give {gini_luck:.3f}. The difference, "
    f"{gini_sim - gini_luck:+.3f}, comes from keys that were eligible for only part of the horizon (registrations "
    f"and exits) and from missed slots. Half of the sequencer rewards went to "
    f"{summary.loc['nakamoto_sequencer_rewards', 'mean']:,.0f} keys of about "
    f"{summary.loc['mean_active_sequencers', 'mean']:,.0f}."
)
glue("gini_sequencer_rewards", gini_sim)
glue("theory_gini_luck_only", gini_luck, kpi="gini_sequencer_rewards", qualifier="equal keys, luck alone")

# %% [markdown]
# ## Analysis 3: bonds slashed

# %%
slash_rate = summary.loc["slashing_events", "mean"] / days
theory_rate = analysis.expected_slashing_probability(params) * pr.slots_per_day
plots.bars(
    {"bonds slashed": slash_rate},
    "Prover bonds slashed per day",
    "slashing events per day",
    errors={"bonds slashed": (summary.loc["slashing_events", "ci_high"] - summary.loc["slashing_events", "mean"]) / days},
    name="simulated",
    minimum=0.0,
    method="95% t interval over runs",
    theory={"bonds slashed": theory_rate},
    theory_label="closed form",
)

# %% [markdown]
# ### Interpretation

# %%
n_slots = params.sim.runs * params.sim.slots
p_theory = theory_rate / pr.slots_per_day
tolerance = theory.proportion_tolerance(p_theory, n_slots) * pr.slots_per_day
verdict = "agrees with" if abs(slash_rate - theory_rate) <= tolerance else "**differs from**"
md(
    f"Bonds were slashed {slash_rate:.2f} times a day ({summary.loc['slashed', 'mean'] / days:,.0f} tokens a day "
    f"burned); the closed form gives {theory_rate:.2f} (tolerance ±{tolerance:.2f}), so the simulation {verdict} "
    f"it. Supply grew {summary.loc['supply_growth_pct_per_year', 'mean']:.3f}% a year net of burns."
)
glue("slashing_events_per_day", slash_rate)
glue("theory_slashing_events_per_day", theory_rate)
glue("supply_growth_pct_per_year", summary.loc["supply_growth_pct_per_year", "mean"])

# %% [markdown]
# ## Analysis 4: returns on the capital committed, and the auction's split
# APR per role on the capital it commits (`analysis.tables.agent_table`): sequencers' stake (minimum stake x keys),
# provers' bond plus hardware, backup builders' hardware, relays' capital (ETH at the genesis token price). The prover
# auction (`prover_market`) moves part of the prover's reward share to the sequencer: the agreed price is the
# second-lowest bid, negative when provers' reward share exceeds their cost and risk.

# %%
aprs = {role: float(summary.loc[f"apr_{role}", "mean"]) for role in ("sequencers", "provers", "relays", "backup")}
plots.bars({role: 100 * v for role, v in aprs.items()}, "APR on capital committed, by role", "%/year")

# %% [markdown]
# ### Interpretation

# %%
price = summary.loc["mean_prover_agreed_price", "mean"]
cost = summary.loc["mean_prover_break_even", "mean"]
md(
    ", ".join(f"{role} {pct(v, 1)} a year" for role, v in aprs.items())
    + f". The committed prover's agreed price averaged {price:.1f} tokens per block against its cost plus risk of "
    f"{cost:.1f}: a margin of {price - cost:.1f}; {pct(summary.loc['share_negative_prover_prices', 'mean'])} of "
    f"commitments were at a negative price, and `hhi_provers` is {summary.loc['hhi_provers', 'mean']:.2f}."
)
for role, value in aprs.items():
    glue(f"apr_{role}", value)
glue("mean_prover_margin", float(price - cost))

# %%
answer(
    f"Block rewards went {', '.join(f'{pct(v / total)} to {role}' for role, v in per_day.items())} "
    f"({total:,.0f} tokens a day). Sequencer rewards have a Gini coefficient of **{gini_sim:.3f}**, against "
    f"{gini_luck:.3f} for equal keys that differ by luck alone. Bonds were slashed **{slash_rate:.2f} times a day** "
    f"(closed form {theory_rate:.2f}: the simulation {verdict.replace('**', '')} it)."
)
