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
# # Phase lengths and deadlines
#
# ## Question
# The spec's open question 7: *how long should each phase be, and should the deadlines be enforced or
# incentivised* (a decaying reward)? Every slot is a timeline of L1 blocks: the prover starts when its commitment
# lands and its proof must land by the proving phase's last block, proving takes a lognormal time, censoring L1
# builders keep honest transactions out, and backup builders race against the backup phase's end. Short phases
# give short slots (more blocks per day) but miss more deadlines. This notebook measures that trade-off for the
# proving phase and the slot length, compares an enforced deadline with a decaying reward (prices, liveness,
# issuance), and asks whether a longer proposal phase beats L1 censorship and a longer backup phase beats
# censored backup submissions. The simulation is drawn next to the closed forms of `aztec_econ.analysis.theory`:
# `proof_late_probability`, `fully_censored_probability` and `backup_skip_probability`.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last, e.g. {"agents.provers.proving_time_median_seconds": 240}
slots = 432  # horizon [slots] per sweep point: 3 days of ten-minute slots
runs = 3  # Monte Carlo runs per sweep point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys (few keys keep the sweeps fast; shares do not depend on the count)
closed_form_setting = True  # nothing fails by chance and no L1 slot is empty: only time and censorship decide
tx_per_second = 1.0  # demand [tx/s]: fills every block of every slot swept, so each takes the full-block proving time
proving_phases = [1, 3, 6, 10, 25]  # proving phase lengths swept [L1 blocks]; the slot grows and shrinks with it
slot_lengths = [15, 20, 25, 30, 50]  # slot lengths swept [L1 blocks], every phase scaled in proportion
late_target = 0.01  # acceptable share of late proofs (and of fully censored proposal phases)
deadline_windows = [6, 8, 25]  # proving phases of analysis 3 [L1 blocks]; the slot keeps its length
decays = [0.0, 0.04]  # reward decay per L1 block of analysis 3 (0: the enforced deadline alone)
builder_share = 0.6  # censoring builders' share of L1 blocks (c) against proposals, analysis 4
autocorrelation = 0.0  # rho of the censoring builders, analysis 4 (0: independent L1 blocks)
proposal_phases = [1, 2, 3, 5, 8]  # proposal phase lengths swept [L1 blocks]; the slot grows with it
backup_builder_shares = [0.5, 0.9]  # censoring builders' shares (c) against backup submissions, analysis 5
backup_phases = [1, 2, 4, 8]  # backup phase lengths swept [L1 blocks], taken from the proving phase
backup_build_seconds = 1.0  # backup builders' median build-and-prove time in analysis 5 [s] (ready at once)

# %% [markdown]
# ## Assumptions
# The phase lengths, the proving and backup times and the censorship this notebook varies, as used in this run
# (every assumption of the run is in the appendix). The proving time (median and spread), the
# ramp-up a prover needs, the backup builders' time and readiness, and every phase length but the proposal and
# commitment phases' are assumptions.

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
import numpy as np
import pandas as pd
from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import theory
from aztec_econ.sweep.runner import sweep_table
from aztec_econ.sweep.spec import grid_spec
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue

scenario = {
    **(analysis.DEADLINE_SETTING if closed_form_setting else {}),
    "agents.sequencers.initial": keys,
    "environment.demand.tx_per_second": tx_per_second,
    **as_overrides(overrides),
}
params = setup(params_file, scenario, slots=slots, runs=runs, seed=seed)
TOPIC = ["protocol.slot_l1_blocks", "protocol.proposal_phase_l1_blocks", "protocol.commitment_phase_l1_blocks",
         "protocol.reveal_phase_l1_blocks", "protocol.proving_phase_l1_blocks", "protocol.backup_phase_l1_blocks",
         "protocol.variants.reward_decay_per_l1_block", "protocol.prover_bond", "agents.provers.proving_time_median_seconds",
         "agents.provers.proving_time_log_sd", "agents.backup", "attacks.censorship"]
assumptions_table(params, TOPIC)

# %% [markdown]
# ## Setup
# Every sweep point is a full simulation of `runs x slots` with the same seed (common random numbers), changing only
# the swept parameters; KPIs are means over runs with 95% confidence half-widths (`sweep_table`), late proofs and
# skipped backup slots are pooled over runs (`expectations.deadline_outcomes`), and the closed forms are evaluated
# at each point (`expectations.expected_deadlines`). Analyses 1, 2 and 4 let provers commit at any deadline risk
# (`expectations.FREE_PROVERS`: no bond, no proving cost), so every landed proposal gets a prover and the late
# share is the clock's alone; analysis 3 prices the risk with the file's bond and costs.

# %%
KPIS = [
    "share_happy",
    "share_backup",
    "share_skipped",
    "finalized_per_day",
    "gap_mean_minutes",
    "share_proposal_censored",
    "mean_prover_price",
    "share_third_party_commitments",
    "issuance_per_year",
    "slashed",
]
MODES = {"share_happy": "happy", "share_backup": "backup", "share_skipped": "skipped"}
MODE_COLOURS = [plots.MODE_COLOURS[m] for m in MODES.values()]
pr = params.protocol
median = analysis.expected_block_mana(params) / pr.block_capacity
md(
    f"Slot of **{pr.slot_l1_blocks} L1 blocks** ({pr.slot_seconds / 60:g} minutes): proposal "
    f"{pr.proposal_phase_l1_blocks}, commitment {pr.commitment_phase_l1_blocks}, reveal {pr.reveal_phase_l1_blocks}, "
    f"proving {pr.proving_phase_l1_blocks}, backup {pr.backup_phase_l1_blocks} blocks. Blocks are "
    f"{pct(median, 0)} full; proving one takes a median "
    f"{analysis.expected_proving_median(params):.0f} s (log-sd "
    f"{params.agents.provers.proving_time_log_sd:g}), and the prover has "
    f"{analysis.proof_available_seconds(params):.0f} s from its commitment to the proving deadline."
)


# %% [markdown]
# ## Analysis 1: the proving phase, late proofs and block time
# The proving phase is swept with the slot growing or shrinking by the same blocks (the other phases stay), so a
# shorter proving phase means more slots per day. A proof is late when the prover's lognormal proving time exceeds
# the time from its commitment to the phase's last block: P(late) = 1 - Phi((ln t - ln m) / sigma).

# %%
free = grid_spec(
    params,
    points=[analysis.phase_overrides(params, "proving", n) for n in proving_phases],
    overrides=analysis.FREE_PROVERS,
)
by_proving = sweep_table(free, KPIS, expected=analysis.expected_deadlines, extra=analysis.deadline_outcomes)
by_proving = by_proving.rename(columns={"protocol.proving_phase_l1_blocks": "L"})
dense = [analysis.phase_overrides(params, "proving", n) for n in range(1, max(proving_phases) + 1)]
proving_curve = analysis.expected_table(params, dense).rename(columns={"protocol.proving_phase_l1_blocks": "L"})
plots.sweep_lines(
    by_proving,
    "L",
    {"share_proof_late": "late proofs"},
    "Share of committed proofs that miss the proving deadline",
    "proving phase [L1 blocks]",
    "share of sound committed proofs",
    theory={"late proofs (closed form)": (proving_curve["L"], proving_curve["theory_share_proof_late"])},
)

# %%
plots.sweep_lines(
    by_proving,
    "L",
    MODES,
    "Slots by outcome against the proving phase",
    "proving phase [L1 blocks]",
    "share of slots",
    theory={
        f"{label} (closed form)": (proving_curve["L"], proving_curve[f"theory_{column}"])
        for column, label in MODES.items()
    },
)

# %% [markdown]
# ### Interpretation

# %%
late_ok, late_n = analysis.points_agreeing(by_proving, "share_proof_late", "theory_share_proof_late", "proofs")
happy_ok, happy_n = analysis.points_agreeing(by_proving, "share_happy", "theory_share_happy", "slots_simulated")
first, last = by_proving.sort_values("L").iloc[0], by_proving.sort_values("L").iloc[-1]
needed = analysis.shortest_proving_phase(params, late_target)
text = [
    f"With a {first.L:g}-block proving phase, **{pct(first.share_proof_late)}** of proofs were late (closed form "
    f"{pct(first.theory_share_proof_late)}) and {pct(first.share_happy)} of slots ended happy; with {last.L:g} "
    f"blocks, {pct(last.share_proof_late, 2)} were late (closed form {pct(last.theory_share_proof_late, 2)}). The "
    f"late share agrees with the closed form at {late_ok} of {late_n} points, the happy share at {happy_ok} of "
    f"{happy_n}. A late proof sends the slot to backup mode: with the {first.L:g}-block phase, backup finalized "
    f"{pct(first.share_backup / (1 - first.share_happy))} of the slots whose happy path failed and "
    f"{pct(first.share_skipped)} of all slots were skipped."
]
if needed is not None:
    at = analysis.expected_deadlines(params.with_overrides(analysis.phase_overrides(params, "proving", needed)))
    text.append(
        f"The shortest proving phase with at most {pct(late_target, 0)} late proofs is **{needed} L1 blocks** "
        f"(closed form): a {pr.slot_l1_blocks - pr.proving_phase_l1_blocks + needed}-block slot, "
        f"{at['theory_finalized_per_day']:.0f} finalized blocks per day against "
        f"{last.finalized_per_day:.0f} with {last.L:g} proving blocks."
    )
md(" ".join(text))
glue("proving_phase_shortest", float(first.L), unit="L1 blocks", description="the shortest proving phase swept")
glue("share_proof_late_shortest", first.share_proof_late, unit="share", description="share of sound committed proofs that missed the deadline, shortest proving phase")
glue("theory_share_proof_late_shortest", first.theory_share_proof_late, unit="share", description="closed form of the late-proof share, shortest proving phase")
glue("proofs_shortest", first.proofs, unit="proofs", description="sound committed proofs, shortest proving phase")
glue("share_happy_shortest_proving", first.share_happy, kpi="share_happy", qualifier="shortest proving phase")
glue("theory_share_happy_shortest_proving", first.theory_share_happy, kpi="share_happy", qualifier="shortest proving phase")
glue("proving_points_agreeing", (late_ok + happy_ok) / max(late_n + happy_n, 1), unit="share", description="share of proving-phase points where simulation and closed form agree")
glue("shortest_proving_phase_for_target", float(needed) if needed is not None else float("nan"), unit="L1 blocks", description="shortest proving phase with at most the target share of late proofs (closed form)")
glue("finalized_per_day_shortest_proving", first.finalized_per_day, kpi="finalized_per_day", qualifier="shortest proving phase")
glue("finalized_per_day_longest_proving", last.finalized_per_day, kpi="finalized_per_day", qualifier="longest proving phase")

# %% [markdown]
# ## Analysis 2: the slot length, and the trade-off between liveness and block time
# Here the whole slot is swept with every phase scaled in proportion (`expectations.scaled_phase_overrides`). Each
# point below is one design: its mean time between finalized blocks against its share of happy slots.

# %%
scaled = grid_spec(
    params,
    points=[analysis.scaled_phase_overrides(params, n) for n in slot_lengths],
    overrides=analysis.FREE_PROVERS,
)
by_slot = sweep_table(scaled, KPIS, expected=analysis.expected_deadlines, extra=analysis.deadline_outcomes)
by_slot = by_slot.rename(columns={"protocol.slot_l1_blocks": "S"})
slot_dense = [analysis.scaled_phase_overrides(params, n) for n in range(min(slot_lengths), max(slot_lengths) + 1)]
slot_curve = analysis.expected_table(params, slot_dense).rename(columns={"protocol.slot_l1_blocks": "S"})
plots.sweep_lines(
    by_slot,
    "S",
    MODES,
    "Slots by outcome against the slot length (phases scaled)",
    "slot length [L1 blocks]",
    "share of slots",
    theory={
        f"{label} (closed form)": (slot_curve["S"], slot_curve[f"theory_{column}"]) for column, label in MODES.items()
    },
)

# %%
both = [
    by_proving.sort_values("L").assign(design="proving phase swept"),
    by_slot.sort_values("S").assign(design="slot swept, phases scaled"),
]
plots.sweep_lines(  # points joined in the order of the swept parameter, not of the block time
    pd.concat(both, ignore_index=True),
    "gap_mean_minutes",
    "share_happy",
    "Liveness against block time: each point is one design",
    "mean time between finalized blocks [minutes]",
    "share of slots finalized on the happy path",
    group="design",
    theory={
        "proving phase swept (closed form)": (
            proving_curve["theory_gap_mean_minutes"],
            proving_curve["theory_share_happy"],
        ),
        "slot swept (closed form)": (slot_curve["theory_gap_mean_minutes"], slot_curve["theory_share_happy"]),
    },
    sort=False,
)

# %% [markdown]
# ### Interpretation

# %%
slot_ok, slot_n = analysis.points_agreeing(by_slot, "share_happy", "theory_share_happy", "slots_simulated")
slot_late_ok, slot_late_n = analysis.points_agreeing(by_slot, "share_proof_late", "theory_share_proof_late", "proofs")
by_slot["backup_seconds"] = by_slot["protocol.backup_phase_l1_blocks"] * pr.l1_block_seconds
short_slot, long_slot = by_slot.sort_values("S").iloc[0], by_slot.sort_values("S").iloc[-1]
best_slot = by_slot.loc[by_slot["finalized_per_day"].idxmax()]
md(
    f"Shrinking the slot from {long_slot.S:g} to {short_slot.S:g} L1 blocks takes finalized blocks per day from "
    f"{long_slot.finalized_per_day:.0f} to **{short_slot.finalized_per_day:.0f}** (closed form "
    f"{short_slot.theory_finalized_per_day:.0f}) and the mean gap between blocks from "
    f"{long_slot.gap_mean_minutes:.1f} to {short_slot.gap_mean_minutes:.1f} minutes, but the happy share falls "
    f"from {pct(long_slot.share_happy)} to **{pct(short_slot.share_happy)}** (closed form "
    f"{pct(short_slot.theory_share_happy)}), as {pct(short_slot.share_proof_late)} of proofs come late. The happy "
    f"share agrees with the closed form at {slot_ok} of {slot_n} points, the late share at {slot_late_ok} of "
    f"{slot_late_n}. The backup phase shrinks with the slot: at {short_slot.S:g} blocks it lasts "
    f"{short_slot.backup_seconds:.0f} s against the backup builders' median of "
    f"{params.agents.backup.proving_time_median_seconds:g} s, so {pct(short_slot.share_skipped_in_backup)} of the "
    f"slots that fell to backup were skipped (closed form {pct(short_slot.theory_backup_skip)}). "
    + (
        f"The most finalized blocks per day among the slots swept: **{best_slot.S:g} L1 blocks** "
        f"({best_slot.finalized_per_day:.0f} a day); shorter slots lose more to skipped slots than they gain."
        if best_slot.S > short_slot.S
        else "The shortest slot swept gives the most finalized blocks per day."
    )
)
glue("slot_most_blocks_per_day", float(best_slot.S), unit="L1 blocks", description="the slot length swept with the most finalized blocks per day")
glue("slot_shortest", float(short_slot.S), unit="L1 blocks", description="the shortest slot swept")
glue("share_happy_shortest_slot", short_slot.share_happy, kpi="share_happy", qualifier="shortest slot")
glue("theory_share_happy_shortest_slot", short_slot.theory_share_happy, kpi="share_happy", qualifier="shortest slot")
glue("finalized_per_day_shortest_slot", short_slot.finalized_per_day, kpi="finalized_per_day", qualifier="shortest slot")
glue("theory_finalized_per_day_shortest_slot", short_slot.theory_finalized_per_day, kpi="finalized_per_day", qualifier="shortest slot")
glue("finalized_per_day_longest_slot", long_slot.finalized_per_day, kpi="finalized_per_day", qualifier="longest slot")
glue("slot_points_agreeing", (slot_ok + slot_late_ok) / max(slot_n + slot_late_n, 1), unit="share", description="share of slot-length points where simulation and closed form agree")

# %% [markdown]
# ## Analysis 3: an enforced deadline against a decaying reward
# With the file's prover market (bond, proving costs, the second-price auction), provers price the risk of a late proof (the bond)
# and the reward they expect to lose to the decay (`protocol.variants.reward_decay_per_l1_block`, counted from
# the proving phase's first block, for backup blocks too). The slot keeps its length; a shorter proving phase
# leaves the rest of it idle.

# %%
rules = grid_spec(
    params,
    {"protocol.variants.reward_decay_per_l1_block": [float(d) for d in decays]},
    points=[analysis.phase_overrides(params, "proving", n, taken_from="idle") for n in deadline_windows],
)
by_rule = sweep_table(rules, KPIS, expected=analysis.expected_deadlines, extra=analysis.deadline_outcomes)
by_rule = by_rule.rename(
    columns={"protocol.proving_phase_l1_blocks": "L", "protocol.variants.reward_decay_per_l1_block": "decay"}
)
by_rule = by_rule.sort_values(["L", "decay"]).reset_index(drop=True)
decay_label = {d: ("enforced deadline only" if d == 0 else f"reward decays {pct(d, 0)}/L1 block") for d in decays}
window_label = {n: f"{n}-block proving phase" for n in deadline_windows}
short_decay = {d: ("no decay" if d == 0 else f"decay {pct(d, 0)}/block") for d in decays}
by_rule["rule"] = [f"{int(r.L)} blocks<br>{short_decay[r.decay]}" for r in by_rule.itertuples()]
by_rule[["L", "decay", "mean_prover_price", "share_third_party_commitments", *MODES, "issuance_per_year"]]

# %%
plots.grouped_bars(
    by_rule,
    "L",
    "mean_prover_price",
    "What provers charge under each rule",
    "proving phase",
    "mean agreed price [tokens per block]",
    group="decay",
    labels=decay_label,
    x_labels=window_label,
)

# %%
plots.grouped_bars(
    by_rule,
    "rule",
    MODES,
    "Slots by outcome under each rule",
    "proving phase and reward rule",
    "share of slots",
    colours=MODE_COLOURS,
)

# %%
plots.grouped_bars(
    by_rule,
    "L",
    "issuance_per_year",
    "Issuance under each rule",
    "proving phase",
    "tokens minted [tokens/year]",
    group="decay",
    labels=decay_label,
    x_labels=window_label,
)

# %% [markdown]
# ### Interpretation

# %%
rule = by_rule.set_index(["L", "decay"])
tight, wide = min(deadline_windows), max(deadline_windows)
top = max(decays)
base, tight_row = rule.loc[(wide, 0.0)], rule.loc[(tight, 0.0)]
refused = 1 - tight_row.share_third_party_commitments
late_slots = tight_row.share_third_party_commitments * np.nan_to_num(tight_row.share_proof_late)


def price(row):
    return (
        f"{row.mean_prover_price:.1f} tokens" if np.isfinite(row.mean_prover_price) else "nothing (no prover committed)"
    )


text = [
    f"An enforced {tight}-block deadline, with {pct(tight_row.theory_share_proof_late)} of proofs expected late, "
    f"made provers charge **{price(tight_row)}** against {price(base)} with {wide} blocks, and commit in only "
    f"{pct(tight_row.share_third_party_commitments)} of slots (every slot at {wide} blocks: "
    f"{pct(base.share_third_party_commitments)}): the happy share fell to **{pct(tight_row.share_happy)}**, "
    f"{pct(tight_row.share_skipped)} of slots were skipped and {tight_row.slashed:,.0f} tokens of bonds were "
    f"slashed per run over {params.sim.slots / pr.slots_per_day:g} days. "
    + (
        f"Most lost happy slots are provers declining the risk at any price the block can pay ({pct(refused)} of "
        f"slots without a commitment), not late proofs ({pct(late_slots)} of slots)."
        if refused >= late_slots
        else f"Most lost happy slots are late proofs ({pct(late_slots)} of slots), not provers declining the risk "
        f"({pct(refused)} of slots without a commitment)."
    )
]
if top > 0:
    decayed = rule.loc[(wide, top)]
    text.append(
        f"A reward decaying {pct(top, 0)} per L1 block on the {wide}-block phase raised the price to "
        f"{price(decayed)}, kept {pct(decayed.share_happy)} of slots happy and cut issuance by "
        f"**{pct(1 - decayed.issuance_per_year / base.issuance_per_year)}** "
        f"({decayed.issuance_per_year:,.0f} against {base.issuance_per_year:,.0f} tokens a year). Blocks were "
        f"verified {decayed.finalization_minutes_mean:.2f} minutes into the slot on average, against "
        f"{base.finalization_minutes_mean:.2f} without the decay: provers here prove as fast as they can whatever "
        "they are paid, so the decay cannot make blocks come sooner; it withholds part of the reward of the slower "
        "proofs, and provers ask for it back in their price. It decays backup blocks too: one landing in the backup "
        f"phase's first block keeps {pct(decayed.theory_backup_reward_factor)} of the reward, so with the "
        f"{tight}-block phase, where most slots end in backup, issuance fell to "
        f"{rule.loc[(tight, top)].issuance_per_year:,.0f} tokens a year. (Backup builders race whatever they are "
        "paid here: their readiness is a fixed probability.)"
    )
    glue("price_decay_widest", float(decayed.mean_prover_price), kpi="mean_prover_price", qualifier="widest proving phase, decaying reward")
    glue("issuance_decay_widest", float(decayed.issuance_per_year), kpi="issuance_per_year", qualifier="widest proving phase, decaying reward")
    glue("share_happy_decay_widest", float(decayed.share_happy), kpi="share_happy", qualifier="widest proving phase, decaying reward")
    glue("finalization_minutes_decay_widest", float(decayed.finalization_minutes_mean), unit="minutes", description="mean time from a slot's start to its block's verification, widest proving phase, decaying reward")
md(" ".join(text))
glue("price_enforced_tightest", float(tight_row.mean_prover_price), kpi="mean_prover_price", qualifier="tightest enforced deadline")
glue("price_enforced_widest", float(base.mean_prover_price), kpi="mean_prover_price", qualifier="widest enforced deadline")
glue("commitments_enforced_tightest", float(tight_row.share_third_party_commitments), kpi="share_third_party_commitments", qualifier="tightest enforced deadline")
glue("share_happy_enforced_tightest", float(tight_row.share_happy), kpi="share_happy", qualifier="tightest enforced deadline")
glue("share_happy_enforced_widest", float(base.share_happy), kpi="share_happy", qualifier="widest enforced deadline")
glue("issuance_enforced_widest", float(base.issuance_per_year), kpi="issuance_per_year", qualifier="widest enforced deadline")
glue("finalization_minutes_enforced_widest", float(base.finalization_minutes_mean), unit="minutes", description="mean time from a slot's start to its block's verification, widest enforced deadline")

# %% [markdown]
# ## Analysis 4: a longer proposal phase against L1 censorship
# A share c of L1 builders keep honest proposals out. When every block of the proposal phase censors (c^P for
# independent builders, c s^(P - 1) with s = c + rho (1 - c) for correlated ones), no proposal lands and the slot
# falls to backup mode. The slot grows with the proposal phase: the spec's mitigation "at the cost of slowing down
# Aztec's block production".

# %%
censored_params = params.with_overrides(
    {
        "attacks.censorship.builder_share": builder_share,
        "attacks.censorship.autocorrelation": autocorrelation,
        "attacks.censorship.phases": ["proposal"],
    }
)
by_proposal = sweep_table(
    grid_spec(
        censored_params,
        points=[analysis.phase_overrides(censored_params, "proposal", n) for n in proposal_phases],
        overrides=analysis.FREE_PROVERS,
    ),
    KPIS,
    expected=analysis.expected_deadlines,
)
by_proposal = analysis.with_per_day(by_proposal.rename(columns={"protocol.proposal_phase_l1_blocks": "P"}))
p_line = np.arange(1, max(proposal_phases) + 1)
plots.sweep_lines(
    by_proposal,
    "P",
    {"share_proposal_censored": "fully censored proposal phases"},
    f"Fully censored proposal phases (c = {builder_share:g}, rho = {autocorrelation:g})",
    "proposal phase [L1 blocks]",
    "share of slots (log)",
    theory={
        "fully censored (closed form)": (
            p_line,
            [theory.fully_censored_probability(builder_share, int(n), autocorrelation) for n in p_line],
        )
    },
    log_y=True,
)

# %%
proposal_curve = analysis.expected_table(
    censored_params, [analysis.phase_overrides(censored_params, "proposal", int(n)) for n in p_line]
)
plots.sweep_lines(
    by_proposal,
    "P",
    {"finalized_per_day": "finalized blocks", "happy_per_day": "happy-path blocks"},
    "Blocks per day against the proposal phase under censorship",
    "proposal phase [L1 blocks]",
    "blocks per day",
    theory={
        "finalized blocks (closed form)": (p_line, proposal_curve["theory_finalized_per_day"]),
        "happy-path blocks (closed form)": (p_line, proposal_curve["theory_happy_per_day"]),
    },
)

# %% [markdown]
# ### Interpretation

# %%
cens_ok, cens_n = analysis.points_agreeing(by_proposal, "share_proposal_censored", "theory_share_proposal_censored", "slots_simulated")
ordered = by_proposal.sort_values("P")
p_short, p_long = ordered.iloc[0], ordered.iloc[-1]
best = ordered.loc[ordered["happy_per_day"].idxmax()]
enough = next(
    (int(n) for n in p_line if theory.fully_censored_probability(builder_share, int(n), autocorrelation) <= late_target),
    None,
)
md(
    f"At c = {builder_share:g}, lengthening the proposal phase from {p_short.P:g} to {p_long.P:g} L1 blocks cut "
    f"fully censored phases from {pct(p_short.share_proposal_censored)} to **{pct(p_long.share_proposal_censored, 2)}** "
    f"(closed form {pct(p_short.theory_share_proposal_censored)} to {pct(p_long.theory_share_proposal_censored, 2)}; "
    f"{cens_ok} of {cens_n} points agree) and raised happy slots from {pct(p_short.share_happy)} to "
    f"{pct(p_long.share_happy)}, at the cost of {p_long.P - p_short.P:g} L1 blocks per slot: "
    f"{p_short.slots_per_day:.0f} to {p_long.slots_per_day:.0f} slots per day. Happy-path blocks per day peak at "
    f"**{best.happy_per_day:.0f}** with a proposal phase of {best.P:g} blocks, finalized blocks at "
    f"{ordered['finalized_per_day'].max():.0f} with {ordered.loc[ordered['finalized_per_day'].idxmax(), 'P']:g}. "
    + (
        f"A phase of {enough} blocks brings fully censored phases under {pct(late_target, 0)} (closed form)."
        if enough is not None
        else f"No phase up to {max(p_line)} blocks brings fully censored phases under {pct(late_target, 0)}."
    )
)
glue("proposal_phase_shortest", float(p_short.P), unit="L1 blocks", description="the shortest proposal phase swept")
glue("share_proposal_censored_shortest", p_short.share_proposal_censored, kpi="share_proposal_censored", qualifier="shortest proposal phase")
glue("theory_share_proposal_censored_shortest", p_short.theory_share_proposal_censored, kpi="share_proposal_censored", qualifier="shortest proposal phase")
glue("share_proposal_censored_longest", p_long.share_proposal_censored, kpi="share_proposal_censored", qualifier="longest proposal phase")
glue("theory_share_proposal_censored_longest", p_long.theory_share_proposal_censored, kpi="share_proposal_censored", qualifier="longest proposal phase")
glue("proposal_points_agreeing", cens_ok / max(cens_n, 1), unit="share", description="share of proposal-phase points where simulation and closed form agree")
glue("share_happy_longest_proposal", p_long.share_happy, kpi="share_happy", qualifier="longest proposal phase, under censorship")
glue("theory_share_happy_longest_proposal", p_long.theory_share_happy, kpi="share_happy", qualifier="longest proposal phase, under censorship")
glue("censoring_builder_share", float(builder_share), unit="share", description="censoring builders' share of L1 blocks against proposals (analysis 4)")

# %% [markdown]
# ## Analysis 5: censored backup submissions
# Every slot is sent to backup mode (no prover is available), so the skipped share is the chance backup fails:
# none of the K builders is ready ((1 - q)^K), or every block of the B-block backup phase censors honest
# submissions (c^B). The backup phase is taken from the proving phase (the slot keeps its length); builders are
# ready within `backup_build_seconds`, before the phase's first block, where the closed form is exact.

# %%
backup_params = params.with_overrides(
    {
        "agents.provers.unavailable_probability": 1.0,
        "agents.backup.proving_time_median_seconds": backup_build_seconds,
        "agents.backup.proving_time_log_sd": 0.0,
        "attacks.censorship.phases": ["backup"],
    }
)
by_backup = sweep_table(
    grid_spec(
        backup_params,
        {"attacks.censorship.builder_share": [float(c) for c in backup_builder_shares]},
        points=[analysis.phase_overrides(backup_params, "backup", n, taken_from="proving") for n in backup_phases],
    ),
    KPIS,
    expected=analysis.expected_deadlines,
    extra=analysis.deadline_outcomes,
)
by_backup = by_backup.rename(columns={"protocol.backup_phase_l1_blocks": "B", "attacks.censorship.builder_share": "c"})
b = backup_params.agents.backup
b_line = np.arange(1, max(backup_phases) + 1)
floor = theory.backup_skip_probability(b.count, b.ready_probability, 0.0, 1)
plots.sweep_lines(
    by_backup,
    "B",
    "share_skipped_in_backup",
    "Skipped share of backup slots when backup submissions are censored",
    "backup phase [L1 blocks]",
    "share of backup-mode slots skipped",
    group="c",
    labels={c: f"c = {c:g}" for c in backup_builder_shares},
    theory={
        **{
            f"c = {c:g} (closed form)": (b_line, [theory.backup_skip_probability(b.count, b.ready_probability, c, int(n)) for n in b_line])
            for c in backup_builder_shares
        },
        "no censorship, (1 - q)^K (closed form)": (b_line, [floor] * len(b_line)),
    },
)

# %% [markdown]
# ### Interpretation

# %%
skip_ok, skip_n = analysis.points_agreeing(by_backup, "share_skipped_in_backup", "theory_backup_skip", "backup_slots")
worst = by_backup[by_backup["c"] == max(backup_builder_shares)].sort_values("B")
b_short, b_long = worst.iloc[0], worst.iloc[-1]
md(
    f"With {b.count} backup builders each ready with probability {b.ready_probability:g}, "
    f"{pct(floor)} of backup slots are skipped without censorship. With c = {b_short.c:g} of L1 blocks censoring "
    f"backup submissions, a {b_short.B:g}-block backup phase skipped **{pct(b_short.share_skipped_in_backup)}** "
    f"(closed form {pct(b_short.theory_backup_skip)}) and a phase of {b_long.B:g} blocks {pct(b_long.share_skipped_in_backup)} "
    f"(closed form {pct(b_long.theory_backup_skip)}); {skip_ok} of {skip_n} points agree. Each extra backup block "
    f"multiplies the censored part by c: at c = {b_short.c:g} it takes "
    f"{int(np.ceil(np.log(0.01) / np.log(b_short.c)))} more blocks to cut it to 1% of its one-block value."
)
glue("backup_builder_share_max", float(b_short.c), unit="share", description="largest censoring builders' share against backup submissions (analysis 5)")
glue("backup_phase_shortest", float(b_short.B), unit="L1 blocks", description="the shortest backup phase swept")
glue("share_skipped_in_backup_shortest", b_short.share_skipped_in_backup, unit="share", description="share of backup-mode slots skipped, shortest backup phase, largest c")
glue("theory_backup_skip_shortest", b_short.theory_backup_skip, unit="share", description="closed form of the skipped share of backup slots, shortest backup phase")
glue("backup_slots_shortest", b_short.backup_slots, unit="slots", description="slots in backup mode, shortest backup phase")
glue("share_skipped_in_backup_longest", b_long.share_skipped_in_backup, unit="share", description="share of backup-mode slots skipped, longest backup phase, largest c")
glue("theory_backup_skip_longest", b_long.theory_backup_skip, unit="share", description="closed form of the skipped share of backup slots, longest backup phase")
glue("theory_backup_skip_uncensored", floor, unit="share", description="closed form of the skipped share of backup slots without censorship, (1 - q)^K")
glue("backup_points_agreeing", skip_ok / max(skip_n, 1), unit="share", description="share of backup-phase points where simulation and closed form agree")

# %%
answer(
    f"A proof needs its time: with a {first.L:g}-block proving phase {pct(first.share_proof_late)} of proofs were "
    "late, and "
    + (f"**{needed} L1 blocks** keep late proofs under {pct(late_target, 0)} (closed form). " if needed is not None
       else f"no proving phase swept keeps late proofs under {pct(late_target, 0)}. ")
    + f"Among the slot lengths swept, **{best_slot.S:g} L1 blocks** finalizes the most blocks per day "
    f"({best_slot.finalized_per_day:.0f}). An enforced {tight}-block deadline made provers charge {price(tight_row)} "
    f"and cut the happy share to {pct(tight_row.share_happy)}; "
    + (f"a decaying reward cut issuance by {pct(1 - decayed.issuance_per_year / base.issuance_per_year)} without "
       "making blocks come sooner. " if top > 0 else "")
    + f"Against censoring builders (c = {builder_share:g}) a {p_long.P:g}-block proposal phase leaves "
    f"{pct(p_long.share_proposal_censored, 2)} of proposal phases fully censored, and a {b_long.B:g}-block backup "
    f"phase skips {pct(b_long.share_skipped_in_backup)} of backup slots at c = {b_long.c:g}."
)
