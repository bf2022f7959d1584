"""The sweeps notebooks 04-09 run (`aztec_econ.sweep.runner.sweep_table` on a `grid_spec`, in this process) and the
closed forms at a parameter set they compare with (`aztec_econ.analysis.expectations`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import theory
from aztec_econ.analysis.kpis import kpis_per_run, summarize
from aztec_econ.params import Params
from aztec_econ.simulation import simulate
from aztec_econ.sweep.runner import SweepFailed, sweep_table
from aztec_econ.sweep.spec import grid_spec


def test_sweep_table_collects_kpis_closed_forms_and_extras(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=60, sim__runs=2)
    spec = grid_spec(
        params, {"attacks.randao.strategy": ["none", "reroll"], "attacks.randao.l1_proposer_share": [0.5]}
    )
    frame = sweep_table(
        spec, ["attacker_share"], expected=analysis.expected_randao, extra=analysis.vote_outcomes
    )
    assert list(frame["attacks.randao.strategy"]) == ["none", "reroll"]
    assert list(frame.columns[:4]) == [
        "attacks.randao.strategy",
        "attacks.randao.l1_proposer_share",
        "attacker_share",
        "attacker_share_ci",
    ]
    assert {"theory_attacker_share", "pass_share", "theory_pass_share", "slots_simulated"} <= set(
        frame.columns
    )
    assert (frame["slots_simulated"] == 120).all()
    a = analysis.attacker_key_share(params)
    assert frame["theory_attacker_share"].tolist() == pytest.approx([a, theory.reroll_attacker_share(0.5, a)])
    for row, point in zip(frame.to_dict("records"), spec.points, strict=True):  # what simulating here gives
        traj = simulate(point.params)
        stats = summarize(kpis_per_run(traj)[["run", "attacker_share"]]).loc["attacker_share"]
        assert row["attacker_share"] == stats["mean"]
        assert row["attacker_share_ci"] == stats["ci_high"] - stats["mean"]
        assert row["windows"] == analysis.vote_outcomes(traj)["windows"]


def test_sweep_table_on_a_pool_equals_the_inline_run(make_params: Callable[..., Params]) -> None:
    spec = grid_spec(make_params(sim__slots=60, sim__runs=1), {"protocol.prover_bond": [10.0, 1000.0]})
    inline = sweep_table(spec, ["share_backup", "slashed"], extra=analysis.vote_outcomes)
    pooled = sweep_table(
        spec, ["share_backup", "slashed"], extra=analysis.vote_outcomes, executor="local", workers=2
    )
    pd.testing.assert_frame_equal(inline, pooled, check_exact=True)
    assert (inline["share_backup_ci"] == 0.0).all()  # one run: no interval


def _fails_for_bond_zero(traj: Any) -> dict[str, float]:
    """A point-level extra that raises for one point: a failure inside the worker's task."""
    if traj.params.protocol.prover_bond == 0:
        raise FloatingPointError("no bond, no ratio")
    return {"bond": traj.params.protocol.prover_bond}


def test_sweep_table_raises_naming_the_failed_points(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=60, agents__sequencers__initial=20)
    spec = grid_spec(params, {"protocol.prover_bond": [1000, 0]})
    with pytest.raises(
        SweepFailed, match=r"1 point\(s\) failed:\n.*protocol.prover_bond=0.*FloatingPointError: no bond"
    ):
        sweep_table(spec, ["share_happy"], extra=_fails_for_bond_zero)


def test_expected_randao_and_censorship_follow_theory(make_params: Callable[..., Params]) -> None:
    tail = make_params(attacks__randao__strategy="tail", attacks__randao__l1_proposer_share=0.3)
    assert np.isnan(analysis.expected_randao(tail)["theory_attacker_share"])
    cens = make_params(
        attacks__randao__sequencer_share=0.0,
        attacks__censorship__builder_share=0.6,
        attacks__censorship__autocorrelation=0.5,
        attacks__censorship__prebuilt_backup=True,
        agents__backup__ready_probability=0.0,
    )
    out = analysis.expected_censorship(cens)
    full = theory.fully_censored_probability(0.6, cens.protocol.proposal_phase_l1_blocks, 0.5)
    colluding = 1 - theory.fully_censored_probability(0.4, cens.protocol.backup_phase_l1_blocks, 0.5)
    assert out["theory_share_proposal_censored"] == pytest.approx(full)
    assert out["theory_attacker_share"] == pytest.approx(full * colluding)
    racing = cens.with_overrides(
        {"agents.backup.ready_probability": 0.3}
    )  # honest builders race: no closed form
    assert np.isnan(analysis.expected_censorship(racing)["theory_attacker_share"])
    assert out["theory_inclusion_delay_mean"] == pytest.approx(
        theory.inclusion_delay_mean(0.6, 0.5, cens.protocol.proposal_phase_l1_blocks)
    )


def test_proposal_phase_overrides_keep_the_slot_filled(make_params: Callable[..., Params]) -> None:
    params = make_params()
    longer = params.with_overrides(analysis.proposal_phase_overrides(params, 12))
    assert longer.protocol.proposal_phase_l1_blocks == 12
    assert longer.protocol.phase_l1_blocks == params.protocol.phase_l1_blocks
    with pytest.raises(ValueError, match="proving phase"):
        analysis.proposal_phase_overrides(params, 100)


def test_effective_support_moves_with_the_attackers_stance(make_params: Callable[..., Params]) -> None:
    shared = {"attacks__randao__sequencer_share": 0.2, "governance__support_share": 0.55}
    s = {
        v: analysis.effective_support(make_params(governance__attacker_vote=v, **shared))
        for v in ("no", "follow", "yes")
    }
    assert s["follow"] == pytest.approx(0.55)
    assert s["no"] == pytest.approx(0.8 * 0.55) and s["yes"] == pytest.approx(0.2 + 0.8 * 0.55)
    rerolled = make_params(
        governance__attacker_vote="yes",
        attacks__randao__strategy="reroll",
        attacks__randao__l1_proposer_share=0.5,
        **shared,
    )
    boosted = theory.reroll_attacker_share(0.5, 0.2)
    assert analysis.expected_votes(rerolled)["window_slots"] == 1008  # 7 days of 144 slots
    assert analysis.effective_support(rerolled) == pytest.approx(boosted + (1 - boosted) * 0.55)
    _, y = analysis.pass_probability_curve(np.array([0.4, 0.6]), 36, 0.5)
    assert y[0] < 0.5 < y[1]
