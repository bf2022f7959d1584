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
# # Governance upgrade votes
#
# ## Question
# A share of sequencer keys supports an upgrade; each block proposed by a supporting key carries a yes vote, and a
# voting window passes when yes votes exceed `protocol.upgrade_vote_threshold` of the blocks proposed in it. How
# likely is a window to pass, and how does that move with the support share, the window's length, and an attacker
# who votes its own way (and biases RANDAO to win more slots)? Simulated pass probabilities are drawn next to the
# binomial closed form (`aztec_econ.analysis.theory.vote_pass_probability`). Windows here are shorter than the spec's 7 days
# so that a short horizon holds many of them; the closed form shows what 7-day windows do.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last, e.g. {"governance.count_backup_blocks": True}
slots = 1440  # horizon [slots] per sweep point: 10 days of ten-minute slots
runs = 3  # Monte Carlo runs per sweep point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (few keys keep the sweeps fast)
closed_form_setting = True  # every key online, fixed key set, no failures: the binomial is exact
window_days = 0.25  # vote window simulated [days] (spec: 7; short windows give many windows per run)
support_shares = [0.4, 0.5, 0.55, 0.6, 0.7]  # shares of keys supporting the upgrade, swept
support_focus = 0.55  # support share of the window and attacker sweeps
window_grid = [0.05, 0.25, 0.5]  # vote windows swept [days]
attacker_key_share = 0.2  # share of keys the attacker owns
stances = ["no", "follow", "yes"]  # how the attacker's keys vote (follow: like any key)
attacker_beta = 0.5  # the attacker's L1 proposer share when it also rerolls RANDAO

# %% [markdown]
# ## Assumptions
# The vote's parameters, the values swept and the closed-form setting, as used in this run (every assumption of the
# run is in the appendix).

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
    "protocol.upgrade_vote_window_days": window_days,
    "governance.support_share": support_focus,
    "governance.support_share_end": support_focus,
    **as_overrides(overrides),
}
params = setup(params_file, scenario, slots=slots, runs=runs, seed=seed)
assumptions_table(
    params,
    [
        "governance",
        "protocol.upgrade_vote_window_days",
        "protocol.upgrade_vote_threshold",
        "attacks.randao.sequencer_share",
        "agents.sequencers.initial",
        *analysis.CLOSED_FORM_SETTING,
    ],
    swept={
        "governance.support_share": support_shares,
        "protocol.upgrade_vote_window_days": window_grid,
        "governance.attacker_vote": stances,
        "attacks.randao.strategy": ["none", "reroll"],
    },
)

# %% [markdown]
# ## Setup
# Every sweep point is a full simulation of `runs x slots` with the same seed; its complete windows are pooled over
# runs (`analysis.vote_outcomes`). The closed form is evaluated at each window's counted blocks (all of its slots
# when nothing fails).

# %%
threshold = params.protocol.upgrade_vote_threshold
spec_days = 7.0
spec_blocks = round(spec_days * params.protocol.slots_per_day)


by_support = sweep_table(
    grid_spec(params, points=[{"governance.support_share": s, "governance.support_share_end": s} for s in support_shares]),
    ["vote_windows"],
    expected=analysis.expected_votes,
    extra=analysis.vote_outcomes,
)
blocks = int(round(by_support["blocks_per_window"].mean())) if len(by_support) else 1
md(
    f"Windows of **{params.protocol.upgrade_vote_window_days:g} days** ({blocks} counted blocks on average), "
    f"threshold {pct(threshold)}, {int(by_support['windows'].min()) if len(by_support) else 0} complete windows per "
    f"sweep point; backup blocks {'count' if params.governance.count_backup_blocks else 'do not count'}."
)
by_support[["support", "windows", "blocks_per_window", "pass_share", "theory_pass_share"]]

# %% [markdown]
# ## Analysis 1: pass probability against the support share

# %%
s_line = np.linspace(min(support_shares), max(support_shares), 61)
plots.sweep_lines(
    by_support,
    "support",
    {"pass_share": f"{params.protocol.upgrade_vote_window_days:g}-day windows"},
    "Probability that a voting window passes",
    "share of keys supporting",
    "pass probability",
    theory={
        f"binomial, {blocks} blocks": analysis.pass_probability_curve(s_line, blocks, threshold),
        f"binomial, {spec_days:g}-day window ({spec_blocks} blocks)": analysis.pass_probability_curve(
            s_line, spec_blocks, threshold
        ),
    },
)

# %% [markdown]
# ### Interpretation

# %%
n_windows = by_support["windows"].to_numpy()
agree = [
    analysis.agrees(r.pass_share, r.theory_pass_share, int(r.windows))
    for r in by_support.itertuples(index=False)
    if r.windows > 0
]
focus = by_support.iloc[(by_support["support"] - support_focus).abs().argsort()[:1]]
if len(focus):
    f = focus.iloc[0]
    spec_pass = theory.vote_pass_probability(spec_blocks, f.support, threshold)
    md(
        f"With {pct(f.support)} of keys supporting, **{pct(f.pass_share)}** of {f.windows:.0f} windows passed "
        f"(binomial {pct(f.theory_pass_share)}); {sum(agree)} of {len(agree)} support levels agree with the "
        f"binomial within the sampling tolerance. The pass probability is not a step at the threshold: a window of "
        f"{blocks} blocks passes with {pct(theory.vote_pass_probability(blocks, threshold, threshold))} at "
        f"exactly {pct(threshold)} support, since who proposes is random. A {spec_days:g}-day window "
        f"({spec_blocks} blocks) at {pct(f.support)} support passes with {pct(spec_pass)}."
    )
    glue("pass_share", f.pass_share, kpi="vote_pass_share", qualifier="pooled windows at the focus support")
    glue("theory_pass_share", f.theory_pass_share, kpi="vote_pass_share", qualifier="binomial, focus support")
    glue("support_at_focus", f.support, unit="share", description="share of keys supporting the upgrade at the focus point")
    glue("theory_pass_share_spec_window", spec_pass, kpi="vote_pass_share", qualifier="binomial, the spec's 7-day window")
    glue("support_points_agreeing", sum(agree) / len(agree) if agree else None, unit="share",
         description="share of support levels where simulation and binomial agree within sampling tolerance")

# %% [markdown]
# ## Analysis 2: the window's length
# A longer window averages over more proposers, so the outcome follows the support share more closely.

# %%
by_window = sweep_table(
    grid_spec(params, {"protocol.upgrade_vote_window_days": window_grid}),
    ["vote_windows"],
    expected=analysis.expected_votes,
    extra=analysis.vote_outcomes,
)
by_window = by_window.rename(columns={"protocol.upgrade_vote_window_days": "days"})
support = analysis.effective_support(params)
day_line = np.geomspace(min(window_grid), spec_days, 40)
day_blocks = [max(1, round(d * params.protocol.slots_per_day)) for d in day_line]
plots.sweep_lines(
    by_window,
    "days",
    {"pass_share": f"{pct(support)} support"},
    f"Pass probability by window length ({pct(support)} support)",
    "vote window [days] (log)",
    "pass probability",
    theory={
        "binomial": (day_line, [theory.vote_pass_probability(b, support, threshold) for b in day_blocks]),
    },
    log_x=True,
)

# %% [markdown]
# ### Interpretation

# %%
if len(by_window):
    w = by_window.sort_values("days")
    short, long = w.iloc[0], w.iloc[-1]
    agree_w = [
        analysis.agrees(r.pass_share, r.theory_pass_share, int(r.windows))
        for r in w.itertuples(index=False)
        if r.windows > 0
    ]
    spec_pass = theory.vote_pass_probability(spec_blocks, support, threshold)
    direction = "rises" if support > threshold else "falls"
    md(
        f"At {pct(support)} support the pass probability went from {pct(short.pass_share)} with {short.days:g}-day "
        f"windows to **{pct(long.pass_share)}** with {long.days:g}-day windows (binomial "
        f"{pct(short.theory_pass_share)} to {pct(long.theory_pass_share)}; {sum(agree_w)} of {len(agree_w)} window "
        f"lengths agree); with support {'above' if support > threshold else 'at or below'} the threshold it {direction} "
        f"with the window, reaching {pct(spec_pass)} for the spec's {spec_days:g} days."
    )
    glue("pass_share_shortest_window", short.pass_share, kpi="vote_pass_share", qualifier="shortest window swept")
    glue("pass_share_longest_window", long.pass_share, kpi="vote_pass_share", qualifier="longest window swept")
    glue("theory_pass_share_longest_window", long.theory_pass_share, kpi="vote_pass_share", qualifier="binomial, longest window swept")
    glue("window_points_agreeing", sum(agree_w) / len(agree_w) if agree_w else None, unit="share",
         description="share of window lengths where simulation and binomial agree within sampling tolerance")

# %% [markdown]
# ## Analysis 3: an attacker who votes its own way
# The attacker owns a share of keys; it votes like any key (`follow`), or always yes, or always no. Under `reroll`
# it also biases RANDAO (L1 proposer share `attacker_beta`) and so proposes more blocks. The closed form uses its
# expected slot share a' (`theory.reroll_attacker_share`): yes share a' + (1 - a') s or (1 - a') s
# (`analysis.effective_support`, approximate: the overlap of its keys with the supporters varies by run).

# %%
by_stance = sweep_table(
    grid_spec(
        params,
        {
            "attacks.randao.strategy": ["none", "reroll"],
            "attacks.randao.l1_proposer_share": [attacker_beta],
            "governance.attacker_vote": stances,
        }
    ),
    ["vote_windows", "attacker_share"],
    expected=analysis.expected_votes,
    extra=analysis.vote_outcomes,
)
by_stance = by_stance.rename(columns={"attacks.randao.strategy": "strategy", "governance.attacker_vote": "stance"})
strategy_label = {"none": "honest RANDAO", "reroll": f"RANDAO reroll, beta = {attacker_beta:g}"}
plots.sweep_lines(
    by_stance,
    "stance",
    "pass_share",
    f"Pass probability by the attacker's vote ({pct(analysis.attacker_key_share(params))} of keys)",
    "the attacker's keys vote",
    "pass probability",
    group="strategy",
    labels=strategy_label,
    theory={
        f"{strategy_label[k]} (theory)": (part["stance"].tolist(), part["theory_pass_share"].tolist())
        for k, part in by_stance.groupby("strategy", sort=False)
    },
    sort=False,
)

# %% [markdown]
# ### Interpretation

# %%
def _at(strategy: str, stance: str) -> float | None:
    rows = by_stance[(by_stance["strategy"] == strategy) & (by_stance["stance"] == stance)]
    return float(rows["pass_share"].iloc[0]) if len(rows) else None


text = []
follow, no, yes = _at("none", "follow"), _at("none", "no"), _at("none", "yes")
if follow is not None:
    text.append(f"When the attacker follows, windows pass with {pct(follow)}.")
    glue("pass_share_attacker_follows", follow, kpi="vote_pass_share", qualifier="attacker votes like any key")
stance_text = []
if no is not None:
    stance_text.append(f"voting no brings it to **{pct(no)}**")
    glue("pass_share_attacker_opposes", no, kpi="vote_pass_share", qualifier="attacker always votes no")
if yes is not None:
    stance_text.append(f"voting yes to **{pct(yes)}**")
    glue("pass_share_attacker_supports", yes, kpi="vote_pass_share", qualifier="attacker always votes yes")
if stance_text:
    text.append(f"With {pct(analysis.attacker_key_share(params))} of the keys, " + "; ".join(stance_text) + ".")
reroll_no, reroll_yes = _at("reroll", "no"), _at("reroll", "yes")
if reroll_no is not None and reroll_yes is not None:
    won = by_stance.loc[by_stance["strategy"] == "reroll", "attacker_share"].mean()
    text.append(
        f"Biasing RANDAO as well, it won {pct(won)} of slots and moved the pass probability to {pct(reroll_no)} "
        f"(no) and {pct(reroll_yes)} (yes)."
    )
    glue("pass_share_reroll_opposes", reroll_no, kpi="vote_pass_share", qualifier="attacker votes no and rerolls RANDAO")
    glue("pass_share_reroll_supports", reroll_yes, kpi="vote_pass_share", qualifier="attacker votes yes and rerolls RANDAO")
md(" ".join(text))

# %%
parts = []
if len(focus):
    parts.append(
        f"With {pct(f.support)} of keys supporting and {params.protocol.upgrade_vote_window_days:g}-day windows, "
        f"**{pct(f.pass_share)}** of windows pass (binomial {pct(f.theory_pass_share)}); the spec's "
        f"{spec_days:g}-day window would pass with {pct(theory.vote_pass_probability(spec_blocks, f.support, threshold))}."
    )
if no is not None and yes is not None:
    parts.append(
        f"An attacker with {pct(analysis.attacker_key_share(params))} of the keys moves it from {pct(no)} (voting no) "
        f"to {pct(yes)} (voting yes)"
        + (f"; biasing RANDAO as well, from {pct(reroll_no)} to {pct(reroll_yes)}." if reroll_no is not None and reroll_yes is not None else ".")
    )
answer(" ".join(parts) or "No vote window completed in the horizon.")
