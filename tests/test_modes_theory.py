"""Happy, backup and skipped shares against their closed forms (aztec_econ.analysis.theory)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aztec_econ.analysis import theory
from aztec_econ.params import Params
from aztec_econ.simulation import simulate

# Provers commit only at an expected profit (prover market, issue 3): with failure chances this high a bond of 1,000
# is not worth the baseline reward. A large reward makes every available prover commit, as the closed forms assume.
PROVING_PAYS = {"protocol__block_reward": 1e6}

NOTHING_ELSE_FAILS = {
    "agents__sequencers__self_prove_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__provers__failure_probability": 0.0,
    "agents__sequencers__registrations_per_day": 0.0,
    "agents__sequencers__exits_per_day": 0.0,
}


@pytest.mark.parametrize(("q", "k"), [(0.3, 1), (0.3, 2), (0.5, 3)])
def test_offline_proposers_send_q_to_the_k_slots_out_of_happy_mode(
    make_params: Callable[..., Params], q: float, k: int
) -> None:
    params = make_params(
        sim__slots=2500,
        sim__runs=4,
        agents__sequencers__offline_probability=q,
        agents__sequencers__proposers_per_slot=k,
        **NOTHING_ELSE_FAILS,
    )
    frame = simulate(params).frame
    expected = theory.no_proposal_probability(q, k)
    share = (frame["mode"] != "happy").mean()
    assert abs(share - expected) <= theory.proportion_tolerance(expected, len(frame))
    assert (frame.loc[frame["mode"] != "happy", "backup_reason"] == "no_proposal").all()


@pytest.mark.slow
def test_mode_shares_match_the_closed_form_with_every_failure_on(make_params: Callable[..., Params]) -> None:
    values = {
        "offline": 0.4,
        "k": 2,
        "self": 0.2,
        "unavailable": 0.5,
        "provers": 2,
        "reveal": 0.05,
        "proof": 0.08,
        "builders": 3,
        "ready": 0.25,
    }
    params = make_params(
        sim__slots=4000,
        sim__runs=4,
        agents__sequencers__offline_probability=values["offline"],
        agents__sequencers__proposers_per_slot=values["k"],
        agents__sequencers__self_prove_probability=values["self"],
        agents__provers__unavailable_probability=values["unavailable"],
        agents__provers__count=values["provers"],
        agents__sequencers__reveal_failure_probability=values["reveal"],
        agents__provers__failure_probability=values["proof"],
        agents__backup__count=values["builders"],
        agents__backup__ready_probability=values["ready"],
        agents__provers__initial_balance=1e9,
        agents__sequencers__initial_balance=1e9,
        **PROVING_PAYS,
    )
    frame = simulate(params).frame
    happy = theory.happy_path_probability(
        values["offline"],
        values["k"],
        values["self"],
        values["unavailable"],
        values["provers"],
        values["reveal"],
        values["proof"],
    )
    expected = theory.mode_shares(
        happy, theory.backup_success_probability(values["builders"], values["ready"])
    )
    for mode, p in expected.items():
        share = (frame["mode"] == mode).mean()
        assert abs(share - p) <= theory.proportion_tolerance(p, len(frame)), (mode, share, p)


def test_prover_that_cannot_cover_the_bond_never_commits(make_params: Callable[..., Params]) -> None:
    params = make_params(
        agents__provers__initial_balance=999.0,
        protocol__prover_bond=1000.0,
        agents__sequencers__self_prove_probability=0.0,
    )
    frame = simulate(params).frame
    assert (frame["prover"] == -1).all()
    assert set(frame.loc[frame["mode"] != "happy", "backup_reason"]) <= {"no_proposal", "no_commitment"}
    assert (frame["mode"] == "happy").sum() == 0


def test_failed_proof_slashes_the_bond_and_sends_the_slot_to_backup(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        agents__provers__failure_probability=0.5, agents__backup__ready_probability=1.0, **PROVING_PAYS
    )
    frame = simulate(params).frame
    failed = frame[frame["backup_reason"] == "proof_failed"]
    assert len(failed) > 50
    assert (failed["slashed"] == params.protocol.prover_bond).all()
    assert (failed["mode"] == "backup").all()
    assert (
        failed["reward_backup"] == params.protocol.block_reward * params.protocol.backup_reward_share
    ).all()
    happy = frame[frame["mode"] == "happy"]
    assert (happy["slashed"] == 0).all()
    assert (
        happy["reward_sequencer"] == params.protocol.block_reward * params.protocol.reward_split.sequencer
    ).all()


def test_missed_reveal_slashes_only_when_the_protocol_says_so(make_params: Callable[..., Params]) -> None:
    for slash in (True, False):
        params = make_params(
            agents__sequencers__reveal_failure_probability=0.3,
            protocol__slash_bond_on_missed_reveal=slash,
            **PROVING_PAYS,
        )
        frame = simulate(params).frame
        missed = frame[frame["backup_reason"] == "no_reveal"]
        assert len(missed) > 30
        assert (missed["slashed"] == (params.protocol.prover_bond if slash else 0.0)).all()
