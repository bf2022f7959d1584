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
# # Baseline network health
#
# ## Question
# How often does a slot end on the happy path (proposal, prover commitment, reveal, proof), in backup mode, or
# with no block at all, and how long do users wait between finalized blocks? The simulated shares are drawn next
# to their closed forms (`aztec_econ.analysis.theory`).

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, e.g. {"agents.provers.count": 5}
slots = 8640  # horizon [slots]: 60 days of ten-minute slots
runs = 10  # Monte Carlo runs
seed = None  # root seed; None: the parameter file's

# %% [markdown]
# ## Assumptions
# The parameters the outcome of a slot depends on, as used in this run (every assumption of the run is in the
# appendix).

# %%
from aztec_econ.publish.notebook import answer, assumptions_table, kpi_summary, md, pct, run_simulation, setup  # first: plotting set-up

from aztec_econ.analysis import expectations as analysis
from aztec_econ.publish import plots
from aztec_econ.analysis import theory
from aztec_econ.publish.glue import glue

params = setup(params_file, overrides, slots=slots, runs=runs, seed=seed)
TOPIC = [
    "agents.sequencers.offline_probability",
    "agents.sequencers.proposers_per_slot",
    "agents.sequencers.self_prove_probability",
    "agents.sequencers.reveal_failure_probability",
    "agents.provers",
    "agents.backup",
    "protocol.prover_bond",
    "protocol.slash_bond_on_missed_reveal",
]
assumptions_table(params, TOPIC)

# %% [markdown]
# ## Setup

# %%
traj = run_simulation(params)
summary = kpi_summary(traj)  # every KPI of the run: in the report's appendix
days = params.sim.slots / params.protocol.slots_per_day

# %% [markdown]
# ## Analysis 1: slots by outcome, simulation against theory

# %%
expected = analysis.expected_mode_shares(params)
plots.mode_shares(analysis.mode_share_series(traj, window_slots=int(params.protocol.slots_per_day)), expected)

# %% [markdown]
# ### Interpretation

# %%
n_slots = params.sim.runs * params.sim.slots
lines = []
for mode in analysis.MODE_NAMES:
    simulated = summary.loc[f"share_{mode}", "mean"]
    tolerance = theory.proportion_tolerance(expected[mode], n_slots)
    agrees = abs(simulated - expected[mode]) <= tolerance
    verdict = "agrees with" if agrees else "**differs from**"
    lines.append(
        f"- **{mode}**: {pct(simulated, 2)} of slots simulated; theory {pct(expected[mode], 2)} "
        f"(tolerance ±{pct(tolerance, 2)}): the simulation {verdict} the closed form"
        + ("." if agrees else f": {analysis.disagreement_reason(f'share_{mode}', params)}")
    )
    glue(f"share_{mode}", simulated)
    glue(f"theory_share_{mode}", expected[mode])
md(
    "\n".join(lines)
    + f"\n\nThe closed form assumes balances always cover the prover bond; over {days:.0f} days "
    f"{pct(summary.loc['share_happy', 'mean'] + summary.loc['share_backup', 'mean'], 2)} of slots produced a block."
)

# %% [markdown]
# ## Analysis 2: time between finalized blocks

# %%
gaps = analysis.gaps_minutes(traj)
slot_minutes = params.protocol.slot_l1_blocks * params.protocol.l1_block_seconds / 60
theory_gap = slot_minutes * theory.mean_slots_between_blocks(1 - expected["skipped"])
plots.histogram(gaps, "Time between finalized blocks", "minutes", theory_mean=theory_gap)

# %% [markdown]
# ### Interpretation

# %%
gap_mean = summary.loc["gap_mean_minutes", "mean"]
md(
    f"Blocks were finalized on average every **{gap_mean:.2f} minutes** (theory: {theory_gap:.2f} minutes = "
    f"{slot_minutes:.0f}-minute slots / the {pct(1 - expected['skipped'], 2)} of slots with a block). "
    f"One gap in ten exceeded {summary.loc['gap_p90_minutes', 'mean']:.1f} minutes; the longest was "
    f"{gaps.max():.0f} minutes ({gaps.max() / slot_minutes:.1f} slots)."
)
glue("finalized_per_day", summary.loc["finalized_per_day", "mean"])
glue("gap_mean_minutes", gap_mean)
glue("theory_gap_mean_minutes", theory_gap)
glue("gap_p90_minutes", summary.loc["gap_p90_minutes", "mean"])

# %% [markdown]
# ## Analysis 3: why the happy path failed

# %%
missed = traj.frame.loc[traj.frame["mode"] != "happy", "backup_reason"]
reasons = missed.value_counts(normalize=True).drop("none", errors="ignore").to_dict()
plots.bars(reasons, "Why slots left the happy path", "share of non-happy slots", name="share of non-happy slots")

# %% [markdown]
# ### Interpretation

# %%
if reasons:
    top = max(reasons, key=lambda k: reasons[k])
    md(
        f"Of the {len(missed):,} slots that left the happy path, the most common reason was **{top}** "
        f"({pct(reasons[top])}); " + ", ".join(f"{k}: {pct(v)}" for k, v in reasons.items() if k != top) + "."
    )
else:
    md("Every slot finalized on the happy path.")

# %%
share_block = summary.loc["share_happy", "mean"] + summary.loc["share_backup", "mean"]
happy_ok = abs(summary.loc["share_happy", "mean"] - expected["happy"]) <= theory.proportion_tolerance(
    expected["happy"], n_slots
)
answer(
    f"Over {days:.0f} days, **{pct(summary.loc['share_happy', 'mean'], 2)}** of slots finalized on the happy path "
    f"(closed form {pct(expected['happy'], 2)}: {'agrees' if happy_ok else '**differs**'}), "
    f"{pct(summary.loc['share_backup', 'mean'], 2)} in backup mode and {pct(summary.loc['share_skipped', 'mean'], 2)} "
    f"produced no block, so {pct(share_block, 2)} of slots produced a block. A block was finalized every "
    f"**{gap_mean:.1f} minutes** on average; one gap in ten exceeded {summary.loc['gap_p90_minutes', 'mean']:.0f} "
    "minutes."
    + (f" Slots left the happy path mostly because of **{top}**." if reasons else "")
    + ("" if happy_ok else f" Why the closed form does not hold here: {analysis.disagreement_reason('share_happy', params)}")
)
