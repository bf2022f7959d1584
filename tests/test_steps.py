"""Single mechanism steps, run alone on a slot's state (`aztec_econ.model.harness`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from aztec_econ.model.blocks import STEPS
from aztec_econ.model.context import Context
from aztec_econ.model.harness import run_step, state_before, with_outcome
from aztec_econ.model.ledger import Account, Flow
from aztec_econ.model.mechanisms.election import scores
from aztec_econ.model.stage import Mode, Role, Stage, Submitter
from aztec_econ.model.state import State
from aztec_econ.params import Params
from aztec_econ.simulation import simulate


def test_harness_reproduces_the_simulation(make_params: Callable[..., Params]) -> None:
    """Slot 5 run step by step outside cadCAD ends where the simulation's slot 5 ends."""
    params = make_params(sim__slots=6, sim__runs=2)
    ctx, state = state_before(params, "clock", slot=5)
    for step in STEPS:
        state = run_step(ctx, state, step.label)
    frame = simulate(params).frame
    row = frame[frame["slot"] == 5].reset_index(drop=True)
    assert (state["outcome"].proposer == row["proposer"].to_numpy()).all()
    assert np.array_equal(state["outcome"].mode, row["mode"].cat.codes.to_numpy())
    assert np.array_equal(state["economy"].settled.column("fees_paid"), row["fees_paid"].to_numpy())
    assert np.array_equal(state["book"].supply, row["total_supply"].to_numpy())


def test_election_picks_the_highest_scoring_eligible_key(make_params: Callable[..., Params]) -> None:
    params = make_params(
        agents__sequencers__offline_probability=0.0, agents__operators__outage_rate_per_day=0.0, sim__runs=4
    )
    ctx, state = state_before(params, "proposal", slot=3)
    after = run_step(ctx, state, "proposal")
    block = 3 * ctx.slot_l1_blocks
    keys = np.broadcast_to(np.arange(ctx.key_capacity, dtype=np.int64), (ctx.n_runs, ctx.key_capacity))
    eligible = state["registry"].eligible_at_rows(np.arange(ctx.n_runs), keys, block)
    score = np.where(eligible, scores(state["randao"], keys, ctx.domain_bits), -1)
    assert (after["outcome"].proposer == score.argmax(axis=1)).all()
    assert (after["outcome"].stage == Stage.PROPOSED).all()
    assert (after["outcome"].proposals == params.agents.sequencers.proposers_per_slot).all()


def test_election_without_online_candidates_has_no_proposer(make_params: Callable[..., Params]) -> None:
    ctx, state = state_before(make_params(agents__sequencers__offline_probability=1.0), "proposal", slot=2)
    after = run_step(ctx, state, "proposal")
    assert (after["outcome"].proposer == -1).all()
    assert (after["outcome"].stage == Stage.NONE).all()
    assert (after["outcome"].proposals == 0).all()


def test_commitment_locks_the_bond_of_the_chosen_prover(make_params: Callable[..., Params]) -> None:
    params = make_params(
        agents__provers__unavailable_probability=0.0,
        agents__sequencers__self_prove_probability=0.0,
        agents__sequencers__prover_strategy="cheapest",
        sim__runs=4,
    )
    ctx, state = state_before(params, "commitment", slot=1)
    state = with_outcome(state, stage=np.full(ctx.n_runs, Stage.PROPOSED, dtype=np.int8))
    after = run_step(ctx, state, "commitment")
    out = after["outcome"]
    bond = params.protocol.prover_bond
    assert (out.stage == Stage.COMMITTED).all()
    assert (out.prover >= 0).all() and not out.self_proved.any()
    assert np.allclose(out.bond_locked, bond)
    locked = after["book"].balance(int(Account.BONDS)) - state["book"].balance(int(Account.BONDS))
    assert np.allclose(locked, bond)
    paid = state["book"].prover_balances() - after["book"].prover_balances()
    assert np.allclose(paid[np.arange(ctx.n_runs), out.prover], bond)


def test_commitment_without_any_prover_stays_proposed(make_params: Callable[..., Params]) -> None:
    params = make_params(
        agents__provers__unavailable_probability=1.0, agents__sequencers__self_prove_probability=0.0
    )
    ctx, state = state_before(params, "commitment", slot=1)
    state = with_outcome(state, stage=np.full(ctx.n_runs, Stage.PROPOSED, dtype=np.int8))
    after = run_step(ctx, state, "commitment")
    assert (after["outcome"].stage == Stage.PROPOSED).all()
    assert (after["outcome"].bond_locked == 0).all()
    assert np.array_equal(
        after["book"].balance(int(Account.BONDS)), state["book"].balance(int(Account.BONDS))
    )


def _failed_happy_path(make_params: Callable[..., Params], **overrides: object) -> tuple[Context, State]:
    ctx, state = state_before(make_params(sim__runs=4, **overrides), "backup", slot=2)
    failed = np.full(ctx.n_runs, Stage.COMMITTED, dtype=np.int8)  # the proof did not land
    return ctx, with_outcome(state, stage=failed, finalized_l1_block=np.full(ctx.n_runs, -1, dtype=np.int64))


def test_backup_with_ready_builders_produces_the_block(make_params: Callable[..., Params]) -> None:
    ctx, state = _failed_happy_path(make_params, agents__backup__ready_probability=1.0)
    after = run_step(ctx, state, "backup")
    out = after["outcome"]
    p = ctx.params.protocol
    first, end = ctx.phase_window("backup", 2)
    assert (out.mode == Mode.BACKUP).all()
    assert (out.submitter == Submitter.BACKUP).all()
    assert ((out.backup_builder >= 0) & (out.backup_builder < ctx.params.agents.backup.count)).all()
    assert ((out.finalized_l1_block >= first) & (out.finalized_l1_block < end)).all()
    reward = p.block_reward * p.backup_reward_share
    assert np.allclose(out.rewards[:, Role.BACKUP], reward)
    assert np.allclose(after["book"].flows[:, Flow.MINT] - state["book"].flows[:, Flow.MINT], reward)
    assert np.allclose(
        after["book"].balance(int(Account.BACKUP)) - state["book"].balance(int(Account.BACKUP)), reward
    )


def test_backup_without_ready_builders_skips_the_slot(make_params: Callable[..., Params]) -> None:
    ctx, state = _failed_happy_path(make_params, agents__backup__ready_probability=0.0)
    after = run_step(ctx, state, "backup")
    assert (after["outcome"].mode == Mode.SKIPPED).all()
    assert (after["outcome"].finalized_l1_block == -1).all()
    assert np.array_equal(after["book"].supply, state["book"].supply)


def test_prebuilt_attacker_block_lands_in_the_first_colluding_block(
    make_params: Callable[..., Params],
) -> None:
    ctx, state = _failed_happy_path(
        make_params,
        agents__backup__ready_probability=1.0,
        attacks__censorship__prebuilt_backup=True,
        attacks__censorship__builder_share=0.5,
    )
    first, _ = ctx.phases["backup"]
    colluding = np.zeros((ctx.n_runs, ctx.slot_l1_blocks), dtype=bool)
    colluding[:, first + 2] = (
        True  # the third block of the backup phase is the first a censoring builder builds
    )
    state = {**state, "adversary": replace(state["adversary"], censored=colluding)}  # type: ignore[typeddict-item]
    after = run_step(ctx, state, "backup")  # type: ignore[arg-type]
    out = after["outcome"]
    assert out.attacker_backup.all() and (out.backup_builder == -1).all()
    assert (out.finalized_l1_block == 2 * ctx.slot_l1_blocks + first + 2).all()


def test_honest_backup_builders_win_when_no_builder_colludes(make_params: Callable[..., Params]) -> None:
    ctx, state = _failed_happy_path(
        make_params,
        agents__backup__ready_probability=1.0,
        attacks__censorship__prebuilt_backup=True,
        attacks__censorship__builder_share=0.5,
    )
    clean = np.zeros((ctx.n_runs, ctx.slot_l1_blocks), dtype=bool)
    state = {**state, "adversary": replace(state["adversary"], censored=clean)}  # type: ignore[typeddict-item]
    after = run_step(ctx, state, "backup")  # type: ignore[arg-type]
    assert not after["outcome"].attacker_backup.any() and (after["outcome"].backup_builder >= 0).all()


def test_backup_leaves_a_finalized_happy_block_alone(make_params: Callable[..., Params]) -> None:
    ctx, state = state_before(make_params(agents__backup__ready_probability=1.0), "backup", slot=2)
    state = with_outcome(state, stage=np.full(ctx.n_runs, Stage.PROVEN, dtype=np.int8))
    after = run_step(ctx, state, "backup")
    assert (after["outcome"].mode == Mode.HAPPY).all()
    assert (after["outcome"].backup_builder == -1).all()
    assert np.array_equal(after["book"].supply, state["book"].supply)


def test_a_slots_settlement_gives_every_one_of_its_columns(make_params: Callable[..., Params]) -> None:
    """`Settled.column` answers each declared settlement column with the slot's values the frame records."""
    from aztec_econ.model.mechanisms import settlement

    params = make_params(sim__slots=4, sim__runs=3)
    ctx, state = state_before(params, "clock", slot=3)
    for step in STEPS:
        state = run_step(ctx, state, step.label)
    settled = state["economy"].settled
    row = simulate(params).frame.query("slot == 3").reset_index(drop=True)
    for column in settlement.COLUMNS:
        np.testing.assert_array_equal(
            settled.column(column.name), row[column.name].to_numpy(), err_msg=column.name
        )
