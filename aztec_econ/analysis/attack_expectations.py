"""The attack and governance closed forms at a parameter set (issue 4; notebooks 04-06, swept with
`aztec_econ.sweep.runner.sweep_table`): the attacker's key share, RANDAO bias, L1 censorship, governance votes, and
the setting `CLOSED_FORM_SETTING` where they are exact; `agrees` compares a simulated share with its closed form.
Re-exported by `aztec_econ.analysis.expectations`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.analysis import theory
from aztec_econ.analysis.tables import vote_table, vote_window_slots
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.simulation import Trajectories

CLOSED_FORM_SETTING: dict[str, Any] = {
    "agents.sequencers.offline_probability": 0.0,
    "agents.operators.outage_rate_per_day": 0.0,
    "agents.sequencers.registrations_per_day": 0.0,
    "agents.sequencers.exits_per_day": 0.0,
    "agents.sequencers.self_prove_probability": 0.0,
    "agents.provers.unavailable_probability": 0.0,
    "agents.sequencers.reveal_failure_probability": 0.0,
    "agents.provers.failure_probability": 0.0,
    "agents.backup.ready_probability": 0.0,
}
"""Overrides under which the attack and vote closed forms are exact: every key online, a fixed key set, nothing on
the happy path fails (so each slot's winner is a uniformly random key and every slot yields a counted block), and
no honest backup builder races a colluding attacker's pre-built block."""


def attacker_key_share(params: Params) -> float:
    """Share of the initial keys the attacker owns: round(p x keys) / keys (its honest slot share)."""
    keys = params.agents.sequencers.initial
    return round(params.attacks.randao.sequencer_share * keys) / keys


def expected_randao(params: Params) -> dict[str, float]:
    """Closed forms of the RANDAO attack at `params` (exact in `CLOSED_FORM_SETTING`): the attacker's slot share
    (`theory_attacker_share`) and L1 blocks withheld per slot (`theory_withheld_per_slot`). `none`: its key share, 0;
    `reroll`: `theory.reroll_attacker_share`, `theory.reroll_withheld_per_slot`; `tail` has no closed form (NaN)."""
    r = params.attacks.randao
    a = attacker_key_share(params)
    if r.strategy == "none" or r.l1_proposer_share == 0:
        return {"theory_attacker_share": a, "theory_withheld_per_slot": 0.0}
    if r.strategy == "reroll":
        return {
            "theory_attacker_share": theory.reroll_attacker_share(r.l1_proposer_share, a),
            "theory_withheld_per_slot": theory.reroll_withheld_per_slot(r.l1_proposer_share, a),
        }
    return {"theory_attacker_share": math.nan, "theory_withheld_per_slot": math.nan}


def expected_censorship(params: Params) -> dict[str, float]:
    """Closed forms of L1 censorship of the proposal phase at `params` (exact in `CLOSED_FORM_SETTING`):

    - `theory_share_proposal_censored`: F = `theory.fully_censored_probability(c, P, rho)`;
    - `theory_attacker_share`: a + (1 - a) F W with a pre-built backup (an honest winner's fully censored phase
      opens backup mode, where the attacker's block lands in the first block a colluding builder builds: W = the
      chance the backup phase has one, 1 - `fully_censored_probability(1 - c, B, rho)`, treating the phases, 30 and
      more blocks apart, as independent; exact only without honest backup builders, NaN with them), else a
      (a = `attacker_key_share`; the attacker's own proposals always land);
    - `theory_inclusion_delay_mean`: mean delay over slots whose proposal landed: the attacker's (delay 0, weight a)
      and the honest ones that landed (`theory.inclusion_delay_mean` within the phase, weight (1 - a)(1 - F)).
    """
    c = params.attacks.censorship
    phase = params.protocol.proposal_phase_l1_blocks
    a = attacker_key_share(params)
    full = theory.fully_censored_probability(c.builder_share, phase, c.autocorrelation)
    landed_honest = (1 - a) * (1 - full)
    delay = (
        theory.inclusion_delay_mean(c.builder_share, c.autocorrelation, phase) if c.builder_share < 1 else 0.0
    )
    weight = landed_honest / (a + landed_honest) if a + landed_honest > 0 else 0.0
    colluding = 1.0 - theory.fully_censored_probability(
        1.0 - c.builder_share, params.protocol.backup_phase_l1_blocks, c.autocorrelation
    )
    if not c.prebuilt_backup:
        attacker = a
    elif params.agents.backup.ready_probability > 0:
        attacker = math.nan  # honest builders race it: no closed form
    else:
        attacker = a + (1 - a) * full * colluding
    return {
        "theory_share_proposal_censored": full,
        "theory_attacker_share": attacker,
        "theory_inclusion_delay_mean": weight * delay,
    }


def proposal_phase_overrides(params: Params, blocks: int) -> dict[str, int]:
    """Overrides that set the proposal phase to `blocks` L1 blocks and keep the slot's length, taking the difference
    from (or giving it to) the proving phase (the phases fill the slot in the baseline)."""
    pr = params.protocol
    proving = pr.proving_phase_l1_blocks - (blocks - pr.proposal_phase_l1_blocks)
    if blocks < 1 or proving < 1:
        raise ValueError(
            f"a proposal phase of {blocks} L1 blocks leaves {proving} for the proving phase (at least 1 needed)"
        )
    return {"protocol.proposal_phase_l1_blocks": blocks, "protocol.proving_phase_l1_blocks": proving}


def effective_support(params: Params) -> float:
    """Expected share of counted blocks carrying a yes vote, from the closed forms (constant support, nothing fails):
    s = round(support_share x keys) / keys, unless the attacker votes its own way: with attacker slot share a'
    (its key share, or `theory.reroll_attacker_share` under `reroll`), `yes` gives a' + (1 - a') s and `no`
    (1 - a') s (non-attacker keys support in proportion s on average)."""
    keys = params.agents.sequencers.initial
    g = params.governance
    s = round(g.support_share * keys) / keys
    if g.attacker_vote == "follow":
        return s
    r = params.attacks.randao
    a = attacker_key_share(params)
    if r.strategy == "reroll":
        a = theory.reroll_attacker_share(r.l1_proposer_share, a)
    return a + (1 - a) * s if g.attacker_vote == "yes" else (1 - a) * s


def expected_votes(params: Params) -> dict[str, float]:
    """The vote closed forms' inputs at `params`, for `sweep_table(..., expected=expected_votes)`: the expected yes share
    (`support`, `effective_support`) and the slots per window (`window_slots`)."""
    return {"support": effective_support(params), "window_slots": float(vote_window_slots(params))}


def vote_outcomes(traj: Trajectories) -> dict[str, float]:
    """Pass probability of the complete vote windows of `traj` pooled over runs (`pass_share`, with a 95% normal
    half-width `pass_share_ci`), the number of windows
    (`windows`), the mean counted blocks per window (`blocks_per_window`), and the binomial closed form given each
    window's counted blocks, averaged over windows (`theory_pass_share`: `theory.vote_pass_probability` at
    `effective_support`; exact when nothing fails and the attacker follows)."""
    table = vote_table(traj)
    complete = table[table["complete"]]
    if complete.empty:
        nan = math.nan
        return {
            "pass_share": nan,
            "pass_share_ci": nan,
            "windows": 0.0,
            "blocks_per_window": nan,
            "theory_pass_share": nan,
        }
    support = effective_support(traj.params)
    threshold = traj.params.protocol.upgrade_vote_threshold
    counts = complete["proposed"].value_counts()
    pass_theory = sum(
        theory.vote_pass_probability(int(n), support, threshold) * int(w) for n, w in counts.items() if n > 0
    ) / len(complete)
    share = float(complete["passed"].mean())
    return {
        "pass_share": share,
        "pass_share_ci": 1.96 * math.sqrt(share * (1 - share) / len(complete)),
        "windows": float(len(complete)),
        "blocks_per_window": float(complete["proposed"].mean()),
        "theory_pass_share": float(pass_theory),
    }


def pass_probability_curve(
    supports: NDArray[np.float64], blocks: int, threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The binomial pass probability (`theory.vote_pass_probability`) of windows of `blocks` counted blocks at each
    support share: (supports, probabilities), for drawing next to simulated points."""
    x = np.asarray(supports, dtype=np.float64)
    return x, np.array([theory.vote_pass_probability(blocks, float(s), threshold) for s in x])


def agrees(simulated: float, expected: float, n: int) -> bool:
    """Whether a simulated proportion over `n` trials is within `theory.proportion_tolerance` of `expected`."""
    return abs(simulated - expected) <= theory.proportion_tolerance(expected, n)
