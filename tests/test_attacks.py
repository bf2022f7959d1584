"""Issue 4: RANDAO bias, L1 censorship and upgrade votes against their closed forms (aztec_econ.analysis.theory).

Fixed seeds, tolerances from standard errors (`theory.proportion_tolerance`, z = 4), never tuned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from aztec_econ.analysis import theory
from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import vote_table
from aztec_econ.model.context import build_context
from aztec_econ.model.mechanisms.adversary import attacker_keys, smallest
from aztec_econ.model.mechanisms.censorship import markov_chain
from aztec_econ.params import Params, ParamsError
from aztec_econ.simulation import simulate

KEYS = 200
CALM: dict[str, Any] = {  # every key online, a fixed key set, nothing on the happy path fails
    "agents__sequencers__initial": KEYS,
    "agents__sequencers__offline_probability": 0.0,
    "agents__sequencers__registrations_per_day": 0.0,
    "agents__sequencers__exits_per_day": 0.0,
    "agents__sequencers__self_prove_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__provers__failure_probability": 0.0,
}


def test_attacker_owns_exactly_its_rounded_key_share(make_params: Callable[..., Params]) -> None:
    for share, expected in ((0.1, 20), (0.333, 67), (0.0, 0), (1.0, KEYS)):
        ctx = build_context(
            make_params(attacks__randao__sequencer_share=share, agents__sequencers__initial=KEYS)
        )
        owned = attacker_keys(ctx)
        assert (owned.sum(axis=1) == expected).all()
        assert not owned[:, KEYS:].any()  # only initial keys


def test_honest_attacker_wins_exactly_its_key_share(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=2000,
        sim__runs=4,
        attacks__randao__sequencer_share=0.3,
        attacks__randao__strategy="none",
        attacks__censorship__builder_share=0.0,
        agents__sequencers__registrations_per_day=0.0,
        agents__sequencers__exits_per_day=0.0,
        agents__sequencers__initial=KEYS,
    )
    frame = simulate(params).frame
    landed = frame[frame["proposer"] >= 0]
    expected = theory.election_win_share(60, KEYS)
    assert abs(landed["attacker_won"].mean() - expected) <= theory.proportion_tolerance(expected, len(landed))
    assert (frame["l1_blocks_withheld"] == 0).all() and (frame["censored_l1_blocks"] == 0).all()


@pytest.mark.parametrize(("beta", "p"), [(0.1, 0.1), (0.3, 0.2), (0.5, 0.5), (0.8, 0.3)])
def test_reroll_slot_share_matches_the_closed_form(
    make_params: Callable[..., Params], beta: float, p: float
) -> None:
    params = make_params(
        sim__slots=1500,
        sim__runs=4,
        attacks__randao__sequencer_share=p,
        attacks__randao__l1_proposer_share=beta,
        attacks__randao__strategy="reroll",
        **CALM,
    )
    frame = simulate(params).frame
    n = len(frame)
    share = theory.reroll_attacker_share(beta, p)
    assert abs(frame["attacker_won"].mean() - share) <= theory.proportion_tolerance(share, n)
    withheld = theory.reroll_withheld_per_slot(beta, p)
    assert set(frame["l1_blocks_withheld"].unique()) <= {0, 1}
    assert abs(frame["l1_blocks_withheld"].mean() - withheld) <= theory.proportion_tolerance(withheld, n)
    value = params.attacks.randao.l1_block_value
    assert (frame["l1_value_forfeited"] == frame["l1_blocks_withheld"] * value).all()


def test_tail_is_never_worse_than_reroll(make_params: Callable[..., Params]) -> None:
    shared = {"sim__slots": 1500, "sim__runs": 3, "attacks__randao__sequencer_share": 0.2, **CALM}
    shared["attacks__randao__l1_proposer_share"] = 0.5
    reroll = simulate(make_params(attacks__randao__strategy="reroll", **shared)).frame
    tail = simulate(make_params(attacks__randao__strategy="tail", **shared)).frame
    # slot by slot: tail's options include reroll's, and both face the same fresh value when nothing known wins
    assert (tail["attacker_won"].to_numpy() >= reroll["attacker_won"].to_numpy()).all()
    gain = tail["attacker_won"].mean() - reroll["attacker_won"].mean()
    assert gain > theory.proportion_tolerance(0.25, len(tail))  # and strictly better at beta = 0.5
    assert tail["l1_blocks_withheld"].max() > 1


def test_markov_chain_has_the_stationary_share_and_autocorrelation() -> None:
    rng_u = np.random.default_rng(7).random((4, 200_000))  # a test input, not a model draw
    for c, rho in ((0.3, 0.0), (0.6, 0.5), (0.2, 0.9)):
        flags = markov_chain(rng_u, np.zeros(4, dtype=bool), c, rho).astype(float)
        x = flags.reshape(-1)
        n_eff = x.size * (1 - rho) / (1 + rho)
        assert abs(x.mean() - c) <= theory.proportion_tolerance(c, int(n_eff))
        lag1 = np.corrcoef(flags[:, 1:].reshape(-1), flags[:, :-1].reshape(-1))[0, 1]
        assert abs(lag1 - rho) <= 4 / np.sqrt(x.size) * (1 + rho)


@pytest.mark.parametrize(("c", "rho", "phase"), [(0.5, 0.0, 3), (0.7, 0.0, 5), (0.6, 0.6, 5), (0.3, 0.8, 4)])
def test_fully_censored_proposal_phases_match_the_closed_form(
    make_params: Callable[..., Params], c: float, rho: float, phase: int
) -> None:
    params = make_params(
        sim__slots=2000,
        sim__runs=4,
        attacks__randao__sequencer_share=0.0,
        attacks__censorship__builder_share=c,
        attacks__censorship__autocorrelation=rho,
        attacks__censorship__prebuilt_backup=True,
        protocol__proposal_phase_l1_blocks=phase,
        **CALM,
    )
    frame = simulate(params).frame
    expected = theory.fully_censored_probability(c, phase, rho)
    if rho == 0:
        assert expected == pytest.approx(c**phase)
    full = frame["proposal_censored"].to_numpy()
    assert abs(full.mean() - expected) <= theory.proportion_tolerance(expected, len(frame))
    share = frame["censored_l1_blocks"].sum() / (len(frame) * params.protocol.slot_l1_blocks)
    assert (
        abs(share - c) <= theory.proportion_tolerance(c, len(frame)) * 2
    )  # blocks within a slot are correlated
    # every censored proposal phase sends the slot to backup mode, and nothing else does; there the attacker's
    # pre-built block wins whenever a colluding builder builds a backup-phase block before an honest one lands
    failed = (frame["mode"] != "happy").to_numpy()
    assert (failed == full).all()
    assert (frame.loc[full, "backup_reason"] == "no_proposal").all()
    won = frame["attacker_won"].to_numpy()
    # it wins at least whenever the backup phase's first block is a colluding builder's (share c)
    assert not won[~full].any() and won[full].mean() >= c - theory.proportion_tolerance(c, int(full.sum()))
    # delay to inclusion of the honest proposals that landed
    delay = frame.loc[frame["inclusion_delay"] >= 0, "inclusion_delay"].to_numpy().astype(float)
    mean = theory.inclusion_delay_mean(c, rho, phase)
    assert abs(delay.mean() - mean) <= 4 * delay.std(ddof=1) / np.sqrt(delay.size)


def test_longer_proposal_phase_never_raises_the_fully_censored_share(
    make_params: Callable[..., Params],
) -> None:
    for c in (0.2, 0.5, 0.9):
        for rho in (0.0, 0.5, 0.9):
            values = [theory.fully_censored_probability(c, p, rho) for p in range(1, 12)]
            assert all(a >= b for a, b in itertools.pairwise(values))
    shared = {
        "sim__slots": 600,
        "attacks__censorship__builder_share": 0.6,
        "attacks__censorship__autocorrelation": 0.5,
    }
    short = simulate(make_params(protocol__proposal_phase_l1_blocks=2, **shared)).frame["proposal_censored"]
    long = simulate(make_params(protocol__proposal_phase_l1_blocks=5, **shared)).frame["proposal_censored"]
    assert (
        long.to_numpy() <= short.to_numpy()
    ).all()  # same L1 chain: a longer phase is censored only if a short one is
    assert long.sum() < short.sum()


def test_censored_commitments_send_honest_blocks_to_backup(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__slots=800,
        attacks__randao__sequencer_share=0.2,
        attacks__censorship__builder_share=0.6,
        attacks__censorship__autocorrelation=0.7,
        attacks__censorship__phases=["commitment"],
        **CALM,
    )
    frame = simulate(params).frame
    assert not frame["proposal_censored"].any() or (frame["proposer"] >= 0).all()
    no_commitment = frame[frame["backup_reason"] == "no_commitment"]
    assert len(no_commitment) > 20
    assert not no_commitment["attacker_won"].any()  # the attacker's own blocks are never censored
    expected = theory.fully_censored_probability(0.6, params.protocol.commitment_phase_l1_blocks, 0.7) * 0.8
    assert abs(len(no_commitment) / len(frame) - expected) <= theory.proportion_tolerance(
        expected, len(frame)
    )


@pytest.mark.parametrize(("support", "days", "threshold"), [(0.52, 0.25, 0.5), (0.6, 0.1, 0.66)])
def test_vote_pass_probability_matches_the_binomial(
    make_params: Callable[..., Params], support: float, days: float, threshold: float
) -> None:
    params = make_params(
        sim__slots=3600,
        sim__runs=4,
        governance__support_share=support,
        governance__support_share_end=support,
        protocol__upgrade_vote_window_days=days,
        protocol__upgrade_vote_threshold=threshold,
        **CALM,
    )
    traj = simulate(params)
    table = vote_table(traj)
    window = round(days * params.protocol.slots_per_day)
    complete = table[table["complete"]]
    assert (complete["proposed"] == window).all()  # nothing fails: every slot's block counts
    expected = theory.vote_pass_probability(window, round(support * KEYS) / KEYS, threshold)
    assert abs(complete["passed"].mean() - expected) <= theory.proportion_tolerance(expected, len(complete))
    assert kpis_per_run(traj)["vote_pass_share"].mean() == pytest.approx(complete["passed"].mean())


def test_attacker_vote_and_ramp_move_the_yes_share(make_params: Callable[..., Params]) -> None:
    shared = {"sim__slots": 1000, "attacks__randao__sequencer_share": 0.3, **CALM}
    shares = {}
    for stance in ("no", "follow", "yes"):
        frame = simulate(make_params(governance__attacker_vote=stance, **shared)).frame
        shares[stance] = (frame["vote"] == "yes").mean()
    assert shares["no"] < shares["follow"] < shares["yes"]
    ramp = simulate(
        make_params(
            governance__support_share=0.1,
            governance__support_share_end=0.9,
            governance__ramp_days=6.0,
            **shared,
        )
    ).frame
    yes = (ramp["vote"] == "yes").to_numpy().reshape(-1, 1000)
    assert yes[:, :200].mean() < 0.3 < 0.7 < yes[:, -200:].mean()


def test_backup_blocks_count_only_when_told(make_params: Callable[..., Params]) -> None:
    shared = {"agents__backup__ready_probability": 1.0, "agents__provers__failure_probability": 0.3}
    off = simulate(make_params(**shared)).frame
    on = simulate(make_params(governance__count_backup_blocks=True, **shared)).frame
    assert (off.loc[off["mode"] == "backup", "vote"] == "none").all()
    assert (on.loc[on["mode"] == "backup", "vote"] == "no").all()
    assert (off.loc[off["mode"] == "happy", "vote"] != "none").all()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"attacks.censorship.phases": ["proposal", "proposal"]}, r"attacks\.censorship\.phases .*once"),
        ({"attacks.randao.strategy": "grind"}, r"attacks\.randao\.strategy = 'grind'"),
        ({"attacks.censorship.autocorrelation": 1.0}, r"attacks\.censorship\.autocorrelation = 1\.0"),
        ({"protocol.upgrade_vote_threshold": 1.0}, r"protocol\.upgrade_vote_threshold = 1\.0"),
    ],
)
def test_bad_attack_parameters_fail_naming_the_field(
    make_params: Callable[..., Params], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParamsError, match=message):
        make_params(**{k.replace(".", "__"): v for k, v in overrides.items()})


@pytest.mark.parametrize("seed", range(8))
def test_the_smallest_m_are_the_first_m_of_a_stable_argsort(seed: int) -> None:
    """`adversary.smallest` (a partition) picks what the first m of a stable argsort picked: the m smallest of each
    row, ties to the lower index (drawn from a few values so that rows tie at the cut)."""
    rng = np.random.default_rng(seed)
    runs, n = int(rng.integers(1, 40)), int(rng.integers(1, 60))
    u = (
        rng.integers(0, int(rng.integers(1, 6)), (runs, n)).astype(np.float64) / 7.0
        if seed % 2
        else rng.random((runs, n))
    )
    for m in sorted({1, n, int(rng.integers(1, n + 1))}):
        expected = np.zeros((runs, n), dtype=bool)
        np.put_along_axis(expected, np.argsort(u, axis=1, kind="stable")[:, :m], True, axis=1)
        np.testing.assert_array_equal(smallest(u, m), expected)
