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
# # L1 censorship
#
# ## Question
# A share c of L1 blocks is built by builders who keep honest sequencers' block proposals out; consecutive blocks
# may be correlated (a two-state Markov chain with autocorrelation rho). When every L1 block of a slot's proposal
# phase of P blocks censors, the honest proposal cannot land and the slot falls to backup mode, where a colluding
# party's pre-built block lands in the first block a colluding builder builds. How often does that happen, who gets the slots, and how long do proposals wait?
# The simulated fully censored share is drawn next to c^P (independent) and c s^(P - 1), s = c + rho (1 - c)
# (Markov; `aztec_econ.analysis.theory.fully_censored_probability`), and a longer proposal phase is swept as a mitigation.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last, e.g. {"attacks.censorship.phases": ["proposal", "commitment"]}
slots = 720  # horizon [slots] per sweep point: 5 days of ten-minute slots
runs = 3  # Monte Carlo runs per sweep point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (few keys keep the sweeps fast; shares do not depend on the count)
closed_form_setting = True  # every key online, fixed key set, no failures: the closed forms are exact
attacker_key_share = 0.0  # share of sequencer keys the colluding party owns (its proposals are never censored)
prebuilt_backup = True  # the colluding party keeps a proven block ready for backup mode
autocorrelation = 0.5  # rho of the correlated (Markov) case; the independent case (rho = 0) is always drawn
builder_shares = [0.2, 0.4, 0.6, 0.8]  # censoring builders' shares of L1 blocks (c) swept
builder_share_focus = 0.6  # c of the proposal-phase sweep
phase_lengths = [1, 2, 3, 5, 8, 12]  # proposal phase lengths swept [L1 blocks], taken from the proving phase

# %% [markdown]
# ## Assumptions
# The attack's parameters (all assumptions), the values swept and the closed-form setting, as used in this run
# (every assumption of the run is in the appendix).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
import numpy as np
from aztec_econ.analysis import expectations as analysis
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.analysis import theory
from aztec_econ.publish.glue import glue

scenario = {
    **(analysis.CLOSED_FORM_SETTING if closed_form_setting else {}),
    "agents.sequencers.initial": keys,
    "attacks.randao.sequencer_share": attacker_key_share,
    "attacks.censorship.prebuilt_backup": prebuilt_backup,
    **as_overrides(overrides),
}
params = setup(params_file, scenario, slots=slots, runs=runs, seed=seed)
assumptions_table(
    params,
    [
        "attacks.censorship",
        "attacks.randao.sequencer_share",
        "protocol.proposal_phase_l1_blocks",
        "protocol.proving_phase_l1_blocks",
        "agents.sequencers.initial",
        *analysis.CLOSED_FORM_SETTING,
    ],
    swept={
        "attacks.censorship.builder_share": builder_shares,
        "attacks.censorship.autocorrelation": sorted({0.0, float(autocorrelation)}),
        "protocol.proposal_phase_l1_blocks": phase_lengths,
    },
)

# %% [markdown]
# ## Setup
# Every sweep point is a full simulation of `runs x slots` with the same seed (common random numbers), changing only
# the swept parameters. KPIs are means over runs with 95% confidence half-widths (`sweep_table`).

# %%
KPIS = [
    "share_proposal_censored",
    "share_censored_l1_blocks",
    "attacker_share",
    "share_backup",
    "share_skipped",
    "inclusion_delay_mean",
]
phase = params.protocol.proposal_phase_l1_blocks
rhos = sorted({0.0, float(autocorrelation)})
rho_label = {r: ("independent" if r == 0 else f"Markov, rho = {r:g}") for r in rhos}
by_share = sweep_table(
    grid_spec(params, {"attacks.censorship.autocorrelation": rhos, "attacks.censorship.builder_share": builder_shares}),
    KPIS,
    expected=analysis.expected_censorship,
)
by_share = by_share.rename(columns={"attacks.censorship.autocorrelation": "rho", "attacks.censorship.builder_share": "c"})
md(
    f"Proposal phase of **{phase} L1 blocks**; censored phases: {', '.join(params.attacks.censorship.phases)}; "
    f"the colluding party owns {pct(analysis.attacker_key_share(params))} of the keys and "
    + ("keeps a pre-built backup block." if params.attacks.censorship.prebuilt_backup else "has no pre-built block.")
)
by_share[["rho", "c", "share_censored_l1_blocks", "share_proposal_censored", "theory_share_proposal_censored"]]

# %% [markdown]
# ## Analysis 1: fully censored proposal phases against the censoring share

# %%
c_line = np.linspace(min(builder_shares), max(builder_shares), 50)
plots.sweep_lines(
    by_share,
    "c",
    "share_proposal_censored",
    f"Share of slots whose {phase}-block proposal phase is fully censored",
    "censoring builders' share of L1 blocks (c)",
    "share of slots (log)",
    group="rho",
    labels=rho_label,
    theory={
        f"{rho_label[r]} (theory)": (c_line, [theory.fully_censored_probability(c, phase, r) for c in c_line])
        for r in rhos
    },
    log_y=True,
)

# %% [markdown]
# ### Interpretation

# %%
n = params.sim.runs * params.sim.slots
text = []
for r in rhos:
    part = by_share[by_share["rho"] == r].sort_values("c")
    if part.empty:
        continue
    top = part.iloc[-1]
    agree = [
        analysis.agrees(x.share_proposal_censored, x.theory_share_proposal_censored, n)
        for x in part.itertuples(index=False)
    ]
    text.append(
        f"{rho_label[r].capitalize()}: at c = {top.c:g}, **{pct(top.share_proposal_censored)}** of proposal phases "
        f"were fully censored (closed form {pct(top.theory_share_proposal_censored)}); {sum(agree)} of "
        f"{len(agree)} points agree within the sampling tolerance."
    )
    key = "independent" if r == 0 else "markov"
    where = f"{rho_label[r]}, largest c"
    glue(f"share_proposal_censored_{key}", top.share_proposal_censored, kpi="share_proposal_censored", qualifier=where)
    glue(f"theory_share_proposal_censored_{key}", top.theory_share_proposal_censored, kpi="share_proposal_censored",
         qualifier=where)
    glue(f"points_agreeing_{key}", sum(agree) / len(agree), unit="share",
         description=f"share of sweep points where simulation and closed form agree within tolerance ({rho_label[r]})")
glue("builder_share_max", float(max(builder_shares)), unit="share",
     description="largest censoring builders' share of L1 blocks swept (c)")
if len(rhos) > 1:
    top_c = float(max(builder_shares))
    ratio = theory.fully_censored_probability(top_c, phase, rhos[-1]) / theory.fully_censored_probability(top_c, phase)
    text.append(
        f"Correlation matters: at the same c = {top_c:g}, rho = {rhos[-1]:g} makes a fully censored phase "
        f"{ratio:.1f} times as likely as independent blocks do, because a censoring block tends to be followed by "
        "another."
    )
md(" ".join(text))

# %% [markdown]
# ## Analysis 2: who gets the slots, and how long honest proposals wait
# With a pre-built backup, every fully censored phase of an honest winner opens backup mode, and the colluding
# party's block wins it when a colluding builder builds one of the backup phase's B blocks (W = 1 - P(B honest
# blocks in a row)); without honest backup builders (the closed-form setting) its share is a + (1 - a) F W and the
# other censored slots are skipped. Proposals that land wait for the first open L1 block of the phase.

# %%
worst = by_share[by_share["rho"] == rhos[-1]]
plots.sweep_lines(
    worst,
    "c",
    {"attacker_share": "colluding party's slots", "share_backup": "backup mode", "share_skipped": "skipped"},
    f"Slots by outcome under censorship ({rho_label[rhos[-1]]})",
    "censoring builders' share of L1 blocks (c)",
    "share of slots",
    theory={"colluding party (theory)": (worst["c"].tolist(), worst["theory_attacker_share"].tolist())},
)

# %%
plots.sweep_lines(
    by_share,
    "c",
    "inclusion_delay_mean",
    "Mean delay until a landed proposal is included",
    "censoring builders' share of L1 blocks (c)",
    "L1 blocks after the phase starts",
    group="rho",
    labels=rho_label,
    theory={
        f"{rho_label[r]} (theory)": (
            by_share.loc[by_share["rho"] == r, "c"].tolist(),
            by_share.loc[by_share["rho"] == r, "theory_inclusion_delay_mean"].tolist(),
        )
        for r in rhos
    },
)

# %% [markdown]
# ### Interpretation

# %%
if len(worst):
    top = worst.sort_values("c").iloc[-1]
    seconds = params.protocol.l1_block_seconds
    md(
        f"At c = {top.c:g} ({rho_label[rhos[-1]]}) the colluding party won **{pct(top.attacker_share)}** of slots "
        f"(closed form {pct(top.theory_attacker_share)}) with {pct(analysis.attacker_key_share(params))} of the "
        f"keys; {pct(top.share_backup)} of slots went to backup mode and {pct(top.share_skipped)} were skipped. "
        f"Proposals that landed waited {top.inclusion_delay_mean:.2f} L1 blocks on average "
        f"({top.inclusion_delay_mean * seconds:.0f} s; closed form {top.theory_inclusion_delay_mean:.2f} blocks)."
    )
    at_max = f"largest c, {rho_label[rhos[-1]]}"
    glue("attacker_share_at_max_c", top.attacker_share, kpi="attacker_share", qualifier=at_max)
    glue("theory_attacker_share_at_max_c", top.theory_attacker_share, kpi="attacker_share", qualifier=at_max)
    glue("share_backup_at_max_c", top.share_backup, kpi="share_backup", qualifier=at_max)
    glue("share_skipped_at_max_c", top.share_skipped, kpi="share_skipped", qualifier=at_max)
    glue("inclusion_delay_mean_at_max_c", top.inclusion_delay_mean, kpi="inclusion_delay_mean", qualifier=at_max)
    glue("theory_inclusion_delay_mean_at_max_c", top.theory_inclusion_delay_mean, kpi="inclusion_delay_mean",
         qualifier=at_max)

# %% [markdown]
# ## Analysis 3: a longer proposal phase as a mitigation
# The proposal phase is lengthened at the proving phase's expense (the phases fill the slot). Each extra block is
# one more chance for an open block; under correlation it helps less, since censoring blocks come in runs.

# %%
points = [
    {
        **analysis.proposal_phase_overrides(params, length),
        "attacks.censorship.autocorrelation": r,
        "attacks.censorship.builder_share": builder_share_focus,
    }
    for r in rhos
    for length in phase_lengths
]
by_phase = sweep_table(grid_spec(params, points=points), KPIS, expected=analysis.expected_censorship)
by_phase = by_phase.rename(
    columns={"protocol.proposal_phase_l1_blocks": "P", "attacks.censorship.autocorrelation": "rho"}
)
p_line = np.arange(min(phase_lengths), max(phase_lengths) + 1)
plots.sweep_lines(
    by_phase,
    "P",
    "share_proposal_censored",
    f"Fully censored proposal phases by phase length (c = {builder_share_focus:g})",
    "proposal phase [L1 blocks]",
    "share of slots (log)",
    group="rho",
    labels=rho_label,
    theory={
        f"{rho_label[r]} (theory)": (
            p_line,
            [theory.fully_censored_probability(builder_share_focus, int(x), r) for x in p_line],
        )
        for r in rhos
    },
    log_y=True,
)

# %% [markdown]
# ### Interpretation

# %%
text = []
for r in rhos:
    part = by_phase[by_phase["rho"] == r].sort_values("P")
    if len(part) < 2:
        continue
    short, long = part.iloc[0], part.iloc[-1]
    never_up = bool(part["share_proposal_censored"].is_monotonic_decreasing)
    text.append(
        f"{rho_label[r].capitalize()}: lengthening the phase from {short.P:g} to {long.P:g} blocks cut fully "
        f"censored phases from {pct(short.share_proposal_censored)} to **{pct(long.share_proposal_censored, 2)}** "
        f"(closed form {pct(short.theory_share_proposal_censored)} to {pct(long.theory_share_proposal_censored, 2)})"
        + ("; no longer phase raised it." if never_up else "; **a longer phase raised it somewhere**.")
    )
    key = "independent" if r == 0 else "markov"
    glue(f"phase_short_share_censored_{key}", short.share_proposal_censored, kpi="share_proposal_censored",
         qualifier=f"shortest proposal phase, {rho_label[r]}")
    glue(f"phase_long_share_censored_{key}", long.share_proposal_censored, kpi="share_proposal_censored",
         qualifier=f"longest proposal phase, {rho_label[r]}")
    glue(f"phase_sweep_never_rises_{key}", never_up, unit="yes/no",
         description=f"no longer proposal phase raised the fully censored share ({rho_label[r]})")
extra_blocks = max(phase_lengths) - phase
if extra_blocks > 0:
    text.append(
        f"The price of the longest phase: {extra_blocks} fewer proving blocks and a later start of every later phase."
    )
md(" ".join(text))

# %%
parts = []
for r in rhos:
    part = by_share[by_share["rho"] == r].sort_values("c")
    if len(part):
        top = part.iloc[-1]
        parts.append(
            f"{rho_label[r].capitalize()}: with {pct(top.c)} of L1 blocks built by censoring builders, "
            f"**{pct(top.share_proposal_censored)}** of {phase}-block proposal phases are fully censored "
            f"(closed form {pct(top.theory_share_proposal_censored)})."
        )
if len(worst):
    top = worst.sort_values("c").iloc[-1]
    parts.append(f"The colluding party then wins {pct(top.attacker_share)} of slots.")
long_part = by_phase[by_phase["rho"] == rhos[-1]].sort_values("P")
if len(long_part) > 1:
    parts.append(
        f"Lengthening the proposal phase to {long_part.iloc[-1].P:g} blocks cuts fully censored phases to "
        f"{pct(long_part.iloc[-1].share_proposal_censored, 2)} at c = {builder_share_focus:g} ({rho_label[rhos[-1]]})."
    )
answer(" ".join(parts) or "No sweep point was simulated.")
