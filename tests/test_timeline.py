"""Time drives outcomes: phase lengths, the slot length and the RANDAO lag bind; processes live in physical time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis import theory
from aztec_econ.model.harness import run_step, state_before
from aztec_econ.model.mechanisms.proving import median_seconds
from aztec_econ.params import Params, ParamsError, load_params
from aztec_econ.simulation import simulate

QUIET: dict[str, Any] = {  # nothing fails by chance: only time and censorship decide
    "agents__sequencers__offline_probability": 0.0,
    "agents__sequencers__registrations_per_day": 0.0,
    "agents__sequencers__exits_per_day": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__provers__failure_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
    "agents__sequencers__self_prove_probability": 0.0,
}


def shares(params: Params) -> tuple[pd.Series, int]:
    frame = simulate(params).frame
    return frame["mode"].value_counts(normalize=True), len(frame)


def differs(a: float, b: float, n: int) -> bool:
    """Two shares of n slots each differ by more than 4 standard errors of their difference."""
    p = (a + b) / 2
    return abs(a - b) > 4 * np.sqrt(2 * max(p * (1 - p), 1e-12) / n)


# each case: (name, the binding setting, the reference setting, the companion settings that make it bind)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("proving phase", {"protocol__proving_phase_l1_blocks": 1}, {}, {}),
    ("RANDAO lag", {"protocol__randao_lag_l1_blocks": 1}, {}, {"agents__provers__ramp_up_seconds": 300.0}),
    (
        "backup phase",
        {"protocol__backup_phase_l1_blocks": 1},
        {},
        {"agents__provers__unavailable_probability": 1.0, "agents__backup__ready_probability": 0.5},
    ),
    (
        "proposal phase",
        {"protocol__proposal_phase_l1_blocks": 1},
        {},
        {"attacks__censorship__builder_share": 0.6, "attacks__censorship__phases": ["proposal"]},
    ),
    (
        "commitment phase",
        {"protocol__commitment_phase_l1_blocks": 1},
        {},
        {"attacks__censorship__builder_share": 0.6, "attacks__censorship__phases": ["commitment"]},
    ),
    (
        "reveal phase",
        {"protocol__reveal_phase_l1_blocks": 1},
        {},
        {"attacks__censorship__builder_share": 0.6, "attacks__censorship__phases": ["reveal"]},
    ),
    (
        "slot length",  # longer slots hold more transactions per block: proving a fuller block takes longer
        {"protocol__slot_l1_blocks": 150},
        {},
        {
            "protocol__proving_phase_l1_blocks": 5,
            "environment__demand__tx_per_second": 0.1,  # blocks 60% full in 10-minute slots, full in 30-minute
            "agents__provers__proving_time_median_seconds": 150.0,
            "agents__provers__capacity": 1e9,
            "protocol__prover_bond": 0.0,  # provers take the deadline risk at no price
            "agents__provers__cost_per_block": 0.0,
        },
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "binding", "reference", "companion"), CASES, ids=[c[0] for c in CASES])
def test_a_short_enough_time_parameter_changes_the_modes(
    make_params: Callable[..., Params],
    name: str,
    binding: dict[str, Any],
    reference: dict[str, Any],
    companion: dict[str, Any],
) -> None:
    base = {**QUIET, **companion, "sim__slots": 720, "sim__runs": 2}  # companions override QUIET
    short, n = shares(make_params(**base, **binding))
    long, _ = shares(make_params(**base, **reference))
    assert any(differs(short.get(m, 0.0), long.get(m, 0.0), n) for m in ("happy", "backup", "skipped")), name


def test_late_proofs_match_the_lognormal_closed_form(make_params: Callable[..., Params]) -> None:
    """Two identical provers (a lone one would take the block's whole value and no key would propose:
    `participation`), no hard faults, no demand (every block the same size): the share of committed blocks whose proof
    is late is P(D > available), available = the deadline block's time - the commitment's landing time."""
    params = make_params(
        **QUIET,
        sim__slots=2000,
        sim__runs=2,
        protocol__proving_phase_l1_blocks=1,
        protocol__prover_bond=0.0,
        agents__provers__count=2,
        agents__provers__cost_spread=0.0,
        agents__provers__cost_per_block=0.0,
        agents__provers__proving_time_median_seconds=200.0,
        agents__provers__proving_time_log_sd=0.5,
        environment__demand__tx_per_second=0.0,
        environment__l1__missed_block_probability=0.0,
    )
    frame = simulate(params).frame
    committed = frame["commitment_l1_block"] >= 0
    assert committed.mean() > 0.99
    pr = params.protocol
    commitment = pr.proposal_phase_l1_blocks * pr.l1_block_seconds
    deadline = (
        pr.proposal_phase_l1_blocks + pr.commitment_phase_l1_blocks + pr.reveal_phase_l1_blocks
    ) * 12.0
    expected = theory.proof_late_probability(
        deadline - commitment, float(median_seconds(params, np.zeros(1))[0]), 0.5
    )
    late = frame.loc[committed, "proof_late"].to_numpy()
    assert 0.2 < expected < 0.6
    assert abs(late.mean() - expected) <= theory.proportion_tolerance(expected, late.size)
    assert (frame.loc[frame["proof_late"], "backup_reason"] == "proof_failed").all()


@pytest.mark.parametrize("c", [0.3, 0.6])
def test_censored_backup_submissions_raise_the_skipped_share_as_the_closed_form_says(
    make_params: Callable[..., Params], c: float
) -> None:
    params = make_params(
        **{**QUIET, "agents__provers__unavailable_probability": 1.0},  # every slot goes to backup
        sim__slots=2000,
        sim__runs=2,
        protocol__backup_phase_l1_blocks=3,
        agents__backup__count=3,
        agents__backup__ready_probability=0.4,
        agents__backup__proving_time_median_seconds=0.001,
        agents__backup__proving_time_log_sd=0.0,
        attacks__censorship__builder_share=c,
        attacks__censorship__phases=["backup"],
        environment__l1__missed_block_probability=0.0,
    )
    frame = simulate(params).frame
    skipped = (frame["mode"] == "skipped").to_numpy()
    expected = theory.backup_skip_probability(3, 0.4, c, 3)
    assert abs(skipped.mean() - expected) <= theory.proportion_tolerance(expected, skipped.size)
    uncensored = theory.backup_skip_probability(3, 0.4, 0.0, 3)
    assert skipped.mean() > uncensored + theory.proportion_tolerance(uncensored, skipped.size)


def _halved(params: Params) -> Params:
    pr = params.protocol
    return params.with_overrides(
        {
            "protocol.slot_l1_blocks": pr.slot_l1_blocks // 2,
            "protocol.proposal_phase_l1_blocks": 2,
            "protocol.commitment_phase_l1_blocks": 3,
            "protocol.reveal_phase_l1_blocks": 2,
            "protocol.proving_phase_l1_blocks": 12,
            "protocol.backup_phase_l1_blocks": 5,
            "sim.slots": params.sim.slots * 2,
        }
    )


@pytest.mark.slow
def test_halving_the_slot_leaves_the_world_unchanged(make_params: Callable[..., Params]) -> None:
    """Transactions per day, L1 price shocks per day and the hourly variance of L1 log prices do not depend on the
    slot length (phases scaled to fit)."""
    base = make_params(
        sim__slots=2880,
        sim__runs=2,
        environment__l1__shocks_per_day=6.0,
        environment__demand__shocks_per_day=0.0,
    )
    shocked = base.with_overrides({"environment.l1.process": "shock"})
    days = base.sim.slots / base.protocol.slots_per_day
    for a, b in ((base, _halved(base)), (shocked, _halved(shocked))):
        fa, fb = simulate(a).frame, simulate(b).frame
        assert fb["slot"].max() + 1 == 2 * (fa["slot"].max() + 1)
        if a.environment.l1.process == "shock":  # shock starts per day: Poisson counts over the horizon
            starts = [
                int(((f["l1_gas_price"] > 20.0) & (f.groupby("run")["l1_gas_price"].shift(1) == 20.0)).sum())
                for f in (fa, fb)
            ]
            runs_days = days * a.sim.runs
            assert abs(starts[0] - starts[1]) <= 4 * np.sqrt(starts[0] + starts[1])
            # no shock starts while one lasts (`shock_hours`): starts per day = 1 / (1 / rate + duration)
            expected = 1.0 / (1.0 / 6.0 + a.environment.l1.shock_hours / 24.0)
            for count in starts:
                assert abs(count / runs_days - expected) <= 4 * np.sqrt(expected / runs_days)
            continue
        per_day = [f["txs_arrived"].sum() / (days * a.sim.runs) for f in (fa, fb)]
        expected = a.environment.demand.tx_per_second * 86_400
        for value in per_day:  # Poisson counts: the standard error of a daily mean over days x runs
            assert abs(value - expected) <= 4 * np.sqrt(expected / (days * a.sim.runs))
        hourly = []
        for f, slots_per_hour in ((fa, 6), (fb, 12)):
            x = np.log(f["l1_gas_price"].to_numpy()).reshape(a.sim.runs, -1)
            hourly.append(np.var(x[:, slots_per_hour:] - x[:, :-slots_per_hour]))
        assert hourly[0] == pytest.approx(hourly[1], rel=0.25)
        stationary = [np.var(np.log(f["l1_gas_price"])) for f in (fa, fb)]
        assert stationary[0] == pytest.approx(stationary[1], rel=0.3)


def test_issuance_per_year_holds_yearly_issuance_across_slot_lengths() -> None:
    ten = load_params(overrides={"protocol.issuance_per_year": 5_256_000.0})
    five = ten.with_overrides(
        {
            "protocol.slot_l1_blocks": 25,
            "protocol.proposal_phase_l1_blocks": 2,
            "protocol.commitment_phase_l1_blocks": 3,
            "protocol.reveal_phase_l1_blocks": 2,
            "protocol.proving_phase_l1_blocks": 12,
            "protocol.backup_phase_l1_blocks": 5,
        }
    )
    assert ten.protocol.block_reward == pytest.approx(100.0)
    assert five.protocol.block_reward == pytest.approx(50.0)


def test_randao_lag_must_be_at_least_one() -> None:
    with pytest.raises(ParamsError, match="randao_lag_l1_blocks = 0"):
        load_params(overrides={"protocol.randao_lag_l1_blocks": 0})


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("environment.demand.tx_rate_per_slot", "environment.demand.tx_per_second"),
        ("environment.demand.expiry_slots", "environment.demand.expiry_minutes"),
        ("environment.l1.volatility", "environment.l1.volatility_per_hour"),
    ],
)
def test_old_slot_based_names_fail_naming_the_new_name(old: str, new: str) -> None:
    with pytest.raises(ParamsError, match=f"{old} = 1: renamed.*use {new}"):
        load_params(overrides={old: 1})


def test_a_key_that_exits_before_its_proposal_lands_does_not_win(make_params: Callable[..., Params]) -> None:
    """Eligibility is checked at the block where the proposal lands: censoring builders delay the honest proposals
    to the phase's third block, and the top key signals its exit at the second."""
    params = make_params(
        **QUIET,
        attacks__censorship__builder_share=0.5,
        attacks__censorship__phases=["proposal"],
        attacks__randao__sequencer_share=0.0,  # no attacker keys, whose proposals every builder includes
        sim__runs=2,
    )
    ctx, state = state_before(params, "proposal", slot=4)
    censored = np.zeros((ctx.n_runs, ctx.slot_l1_blocks), dtype=bool)
    censored[:, :2] = True
    state = {**state, "adversary": replace(state["adversary"], censored=censored)}  # type: ignore[typeddict-item]
    free = run_step(ctx, state, "proposal")  # type: ignore[arg-type]
    top = free["outcome"].proposer
    assert (top >= 0).all() and (free["outcome"].proposal_block == 2).all()
    slot_start = 4 * ctx.slot_l1_blocks
    exit_signal = state["registry"].exit_signal.copy()
    exit_signal[np.arange(ctx.n_runs), top] = slot_start + 1
    exiting = {**state, "registry": replace(state["registry"], exit_signal=exit_signal)}
    after = run_step(ctx, exiting, "proposal")  # type: ignore[arg-type]
    assert (after["outcome"].proposer != top).all() and (after["outcome"].proposer >= 0).all()


def test_empty_l1_slots_delay_landings_without_using_block_numbers(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(environment__l1__missed_block_probability=0.3, sim__slots=200)
    frame = simulate(params).frame
    happy = frame[frame["mode"] == "happy"]
    assert ((happy["finalized_l1_block"] - happy["l1_block"]) < params.protocol.slot_l1_blocks).all()
    ctx, state = state_before(params, "l1 blocks", slot=3)
    seconds = run_step(ctx, state, "l1 blocks")["l1"].seconds
    gaps = np.diff(seconds, axis=1) / params.protocol.l1_block_seconds
    assert (gaps >= 1).all() and gaps.mean() == pytest.approx(1 / 0.7, rel=0.1)  # geometric: 1 / (1 - p)
