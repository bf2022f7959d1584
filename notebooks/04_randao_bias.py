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
# # RANDAO bias
#
# ## Question
# An attacker owns a share p of the sequencer keys and proposes a share beta of L1 blocks. When it proposes the L1
# block whose RANDAO value a slot's election reads, it can withhold that block to re-draw the value (`reroll`), or
# also use its consecutive blocks around that height to choose among several values (`tail`). How many more slots
# does it win than its honest share p, how many L1 blocks does it withhold, and does it pay? The simulated slot
# share is drawn next to the closed form a (1 + beta (1 - a)) (`aztec_econ.analysis.theory.reroll_attacker_share`), and
# the RANDAO lag is swept as a candidate mitigation.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last, e.g. {"attacks.randao.l1_block_value": 20}
slots = 720  # horizon [slots] per sweep point: 5 days of ten-minute slots
runs = 3  # Monte Carlo runs per sweep point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (few keys keep the sweeps fast; shares do not depend on the count)
closed_form_setting = True  # every key online, fixed key set, no failures: the closed forms are exact
key_share = 0.2  # attacker's share p of the sequencer keys
betas = [0.0, 0.25, 0.5, 0.75]  # attacker's L1 proposer shares (beta) swept
strategies = ["reroll", "tail"]  # attacker strategies compared
beta_focus = 0.5  # beta of the key-share and lag sweeps
key_shares = [0.1, 0.3, 0.5, 0.7]  # attacker key shares swept at beta_focus (reroll)
lags = [4, 32, 128]  # RANDAO lags swept at beta_focus [L1 blocks]

# %% [markdown]
# ## Assumptions
# The attack's parameters (all assumptions), the values swept, and the closed-form setting, as used in this run
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
    "attacks.randao.sequencer_share": key_share,
    **as_overrides(overrides),
}
params = setup(params_file, scenario, slots=slots, runs=runs, seed=seed)
assumptions_table(
    params,
    ["attacks.randao", "protocol.randao_lag_l1_blocks", "agents.sequencers.initial", *analysis.CLOSED_FORM_SETTING],
    swept={
        "attacks.randao.strategy": strategies,
        "attacks.randao.l1_proposer_share": betas,
        "attacks.randao.sequencer_share": key_shares,
        "protocol.randao_lag_l1_blocks": lags,
    },
)

# %% [markdown]
# ## Setup
# Every sweep point is a full simulation of `runs x slots` with the same seed (common random numbers), changing only
# the swept parameters. KPIs are means over runs with 95% confidence half-widths (`sweep_table`).

# %%
KPIS = [
    "attacker_share",
    "l1_blocks_withheld_per_slot",
    "attacker_extra_revenue",
    "l1_value_forfeited",
    "attacker_net_gain",
]
a = analysis.attacker_key_share(params)
days = params.sim.slots / params.protocol.slots_per_day
spec = grid_spec(params, {"attacks.randao.strategy": strategies, "attacks.randao.l1_proposer_share": betas})
by_beta = sweep_table(spec, KPIS, expected=analysis.expected_randao)
by_beta = by_beta.rename(columns={"attacks.randao.strategy": "strategy", "attacks.randao.l1_proposer_share": "beta"})
md(
    f"The attacker owns **{round(a * keys)} of {keys} keys** (a = {pct(a)}); each L1 block is worth "
    f"{params.attacks.randao.l1_block_value:g} tokens to its proposer; the election reads the RANDAO value "
    f"{params.protocol.randao_lag_l1_blocks} L1 blocks before the slot. Swept {len(spec.points)} points."
)
by_beta[["strategy", "beta", "attacker_share", "theory_attacker_share", "l1_blocks_withheld_per_slot"]]

# %% [markdown]
# ## Analysis 1: the attacker's slot share against its L1 proposer share

# %%
beta_line = np.linspace(0.0, max(max(betas), beta_focus), 50)
plots.sweep_lines(
    by_beta,
    "beta",
    "attacker_share",
    "Attacker's share of L2 slots",
    "attacker's share of L1 blocks (beta)",
    "share of slots won",
    group="strategy",
    theory={
        "reroll (theory)": (beta_line, [theory.reroll_attacker_share(b, a) for b in beta_line]),
        "honest share a": (beta_line, [a] * len(beta_line)),
    },
)

# %% [markdown]
# ### Interpretation

# %%
n = params.sim.runs * params.sim.slots
reroll = by_beta[by_beta["strategy"] == "reroll"].sort_values("beta")
tail = by_beta[by_beta["strategy"] == "tail"].sort_values("beta")
text = []
if len(reroll):
    top = reroll.iloc[-1]
    agree = [
        analysis.agrees(r.attacker_share, r.theory_attacker_share, n) for r in reroll.itertuples(index=False)
    ]
    text.append(
        f"Under `reroll` at beta = {top.beta:g} the attacker won **{pct(top.attacker_share)}** of slots against its "
        f"honest {pct(a)} (x{top.attacker_share / a:.2f}); the closed form gives {pct(top.theory_attacker_share)}. "
        f"{sum(agree)} of {len(agree)} sweep points agree with it within the sampling tolerance "
        f"(±{pct(theory.proportion_tolerance(top.theory_attacker_share, n))} at the top point)."
    )
    glue("attacker_share_reroll", top.attacker_share, kpi="attacker_share", qualifier="reroll, largest beta")
    glue("theory_attacker_share_reroll", top.theory_attacker_share, kpi="attacker_share", qualifier="reroll, largest beta")
    glue("reroll_points_agreeing", sum(agree) / len(agree), unit="share",
         description="share of the reroll sweep points where simulation and closed form agree within sampling tolerance")
    glue("beta_max", top.beta, unit="share", description="largest attacker share of L1 blocks swept (beta)")
if len(tail):
    top_tail = tail.iloc[-1]
    text.append(
        f"`tail`, which also chooses among the values its runs of consecutive L1 blocks make possible, reached "
        f"{pct(top_tail.attacker_share)} at beta = {top_tail.beta:g}"
        + (
            f", {100 * (top_tail.attacker_share - top.attacker_share):+.1f} points over `reroll`."
            if len(reroll)
            else "."
        )
    )
    glue("attacker_share_tail", top_tail.attacker_share, kpi="attacker_share", qualifier="tail, largest beta")
if len(reroll) > 1:
    rising = bool(reroll["attacker_share"].is_monotonic_increasing)
    text.append(
        "The simulated `reroll` share "
        + ("rises with beta at every step" if rising else "does not rise at every step (sampling noise)")
        + f"; the closed form rises by a (1 - a) = {a * (1 - a):.3f} per unit of beta."
    )
md(" ".join(text))
glue("attacker_key_share", a)

# %% [markdown]
# ## Analysis 2: what the bias costs and what it earns
# Withheld L1 blocks per slot (closed form for `reroll`: beta (1 - a)) and the net gain: extra L2 revenue over the
# honest share minus the L1 proposer value forfeited.

# %%
plots.sweep_lines(
    by_beta,
    "beta",
    "l1_blocks_withheld_per_slot",
    "L1 blocks withheld per slot",
    "attacker's share of L1 blocks (beta)",
    "withheld L1 blocks per slot",
    group="strategy",
    theory={"reroll (theory)": (beta_line, [theory.reroll_withheld_per_slot(b, a) for b in beta_line])},
)

# %%
gain = by_beta.assign(
    net_gain_per_day=by_beta["attacker_net_gain"] / days, net_gain_per_day_ci=by_beta["attacker_net_gain_ci"] / days
)
plots.sweep_lines(
    gain,
    "beta",
    "net_gain_per_day",
    "Attacker's net gain: extra L2 revenue minus forfeited L1 value",
    "attacker's share of L1 blocks (beta)",
    "tokens per day",
    group="strategy",
    theory={"break-even": (beta_line, [0.0] * len(beta_line))},
)

# %% [markdown]
# ### Interpretation

# %%
text = []
for name, part in (("reroll", reroll), ("tail", tail)):
    active = part[part["l1_blocks_withheld_per_slot"] > 0]
    if active.empty:
        continue
    top = part.iloc[-1]
    withheld_per_run = active["l1_blocks_withheld_per_slot"] * params.sim.slots
    per_block = float((active["attacker_extra_revenue"] / withheld_per_run).mean())
    net = top.attacker_net_gain / days
    text.append(
        f"Under `{name}` at beta = {top.beta:g} the attacker withheld {top.l1_blocks_withheld_per_slot:.3f} L1 "
        f"blocks per slot and earned {per_block:,.1f} tokens of extra L2 revenue per withheld block (mean over "
        f"the sweep); at {params.attacks.randao.l1_block_value:g} tokens forfeited per block its net gain is "
        f"**{net:,.0f} tokens a day** ({'it pays' if net > 0 else 'it does not pay'})."
    )
    glue(f"withheld_per_slot_{name}", top.l1_blocks_withheld_per_slot, kpi="l1_blocks_withheld_per_slot",
         qualifier=f"{name}, largest beta")
    glue(f"net_gain_per_day_{name}", net, unit="tokens/day",
         description=f"attacker's extra L2 revenue minus forfeited L1 value per day ({name}, largest beta)")
    glue(f"extra_revenue_per_withheld_block_{name}", per_block, unit="tokens",
         description=f"attacker's extra L2 revenue per withheld L1 block ({name}, mean over the sweep)")
    if name == "reroll":
        glue("theory_withheld_per_slot_reroll", top.theory_withheld_per_slot, kpi="l1_blocks_withheld_per_slot",
             qualifier="reroll, largest beta")
        text.append(f"The closed form gives {top.theory_withheld_per_slot:.3f} withheld blocks per slot.")
reward = params.protocol.block_reward * params.protocol.reward_split.sequencer
md(
    " ".join(text)
    + f" Under `reroll` a withheld block wins the attacker an extra slot with probability a, so it is worth about "
    f"a x the sequencer reward = {a * reward:,.1f} tokens: the attack pays when an L1 block is worth less."
)

# %% [markdown]
# ## Analysis 3: the gain by the attacker's key share
# The gain over the honest share, beta a (1 - a), is largest at a = 1/2: a small attacker rarely wins a re-draw, a
# large one rarely needs one.

# %%
by_share = sweep_table(
    grid_spec(
        params,
        {
            "attacks.randao.strategy": ["reroll"],
            "attacks.randao.l1_proposer_share": [beta_focus],
            "attacks.randao.sequencer_share": key_shares,
        }
    ),
    ["attacker_share", "attacker_key_share"],
    expected=analysis.expected_randao,
)
share_line = np.linspace(0.0, 1.0, 51)
plots.sweep_lines(
    by_share,
    "attacker_key_share",
    {"attacker_share": f"reroll at beta = {beta_focus:g}"},
    "Attacker's slot share by its key share",
    "attacker's share of keys (a)",
    "share of slots won",
    theory={
        "reroll (theory)": (share_line, [theory.reroll_attacker_share(beta_focus, x) for x in share_line]),
        "honest share a": (share_line, share_line),
    },
)

# %% [markdown]
# ### Interpretation

# %%
gains = by_share["attacker_share"] - by_share["attacker_key_share"]
best = by_share.loc[gains.idxmax()] if len(by_share) else None
agree = [
    analysis.agrees(r.attacker_share, r.theory_attacker_share, n) for r in by_share.itertuples(index=False)
]
if best is not None:
    md(
        f"At beta = {beta_focus:g} the largest gain in this sweep, **{100 * gains.max():+.1f} points**, went to the "
        f"attacker with {pct(best.attacker_key_share)} of the keys (closed form: "
        f"{100 * (best.theory_attacker_share - best.attacker_key_share):+.1f} points; maximum "
        f"{100 * beta_focus / 4:.1f} points at a = 1/2). {sum(agree)} of {len(agree)} points agree with the closed "
        "form within the sampling tolerance."
    )
    glue("key_share_points_agreeing", sum(agree) / len(agree), unit="share",
         description="share of the key-share sweep points where simulation and closed form agree within tolerance")
    glue("max_gain_points", 100 * float(gains.max()), unit="percentage points",
         description="largest gain in slot share over the honest key share across the key-share sweep")

# %% [markdown]
# ## Analysis 4: a longer RANDAO lag as a mitigation
# The election reads the value stored `protocol.randao_lag_l1_blocks` before the slot. In this model the attacker
# can always compute that value's election in advance (the eligible set is fixed well before), so the lag moves
# which L1 block matters, not how often the attacker proposes it, once the lag gives provers the warning their
# hardware needs (`agents.provers.ramp_up_seconds`). A shorter lag makes proofs start late; keys that expect a late
# proof do not pay for a proposal (`model.mechanisms.participation`), so the slot goes to backup and the attacker's
# share falls with everyone's. The sweep shows both.

# %%
by_lag = sweep_table(
    grid_spec(
        params,
        {
            "attacks.randao.strategy": ["reroll"],
            "attacks.randao.l1_proposer_share": [beta_focus],
            "protocol.randao_lag_l1_blocks": lags,
        }
    ),
    ["attacker_share", "l1_blocks_withheld_per_slot"],
    expected=analysis.expected_randao,
)
by_lag = by_lag.rename(columns={"protocol.randao_lag_l1_blocks": "lag"})
plots.sweep_lines(
    by_lag,
    "lag",
    {"attacker_share": f"reroll at beta = {beta_focus:g}"},
    "Attacker's slot share by RANDAO lag",
    "RANDAO lag [L1 blocks]",
    "share of slots won",
    theory={
        "reroll (theory)": (by_lag["lag"].tolist(), by_lag["theory_attacker_share"].tolist()),
        "honest share a": (by_lag["lag"].tolist(), [a] * len(by_lag)),
    },
)

# %% [markdown]
# ### Interpretation

# %%
if len(by_lag):
    spread = float(by_lag["attacker_share"].max() - by_lag["attacker_share"].min())
    expected = float(by_lag["theory_attacker_share"].iloc[0])
    tolerance = 2 * theory.proportion_tolerance(expected, n)
    verdict = (
        "no more than sampling noise: in this model a longer lag is **no mitigation**"
        if spread <= tolerance
        else "**more than sampling noise**: the lag changes the attacker's share here"
    )
    md(
        f"Across lags {', '.join(str(x) for x in by_lag['lag'])} L1 blocks the attacker's share ranged over "
        f"{100 * spread:.1f} points (tolerance ±{100 * tolerance:.1f}), {verdict}. What the lag buys is time: "
        "the eligible set and the stored value are fixed earlier, which would matter against attacks this model "
        "does not include (e.g. registering keys after seeing the value)."
    )
    glue("lag_share_spread", spread, unit="share",
         description="range of the attacker's slot share across the RANDAO lags swept")

# %%
summary_lines = []
if len(reroll):
    top = reroll.iloc[-1]
    summary_lines.append(
        f"With {pct(a)} of the keys and {pct(top.beta)} of L1 blocks, re-rolling RANDAO wins the attacker "
        f"**{pct(top.attacker_share)}** of slots (closed form {pct(top.theory_attacker_share)}; honest share {pct(a)})"
        + (f" and `tail` {pct(tail.iloc[-1].attacker_share)}." if len(tail) else ".")
    )
    net_reroll = top.attacker_net_gain / days
    summary_lines.append(
        f"It withholds {top.l1_blocks_withheld_per_slot:.3f} L1 blocks per slot; at "
        f"{params.attacks.randao.l1_block_value:g} tokens per L1 block its net gain is {net_reroll:,.0f} tokens a day: "
        + ("**the attack pays**." if net_reroll > 0 else "**the attack does not pay**.")
    )
if len(by_lag):
    summary_lines.append(
        "A longer RANDAO lag " + ("does not change" if spread <= tolerance else "**changes**") + " the attacker's share here."
    )
answer(" ".join(summary_lines) or "No sweep point was simulated.")
