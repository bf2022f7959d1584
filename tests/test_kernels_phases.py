"""`kernels_phases` against the numpy code it replaced, exactly: the commitment's and the proof's outcomes, whether backup
mode pays (the finalization's rewards: tests/test_kernels.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from aztec_econ.model import kernels_phases
from aztec_econ.model.stage import Stage
from aztec_econ.params import Params, load_params


def _proof_outcome_numpy(
    stage: np.ndarray,
    prover: np.ndarray,
    fails: np.ndarray,
    mean: float,
    u_proof: np.ndarray,
    duration: np.ndarray,
    seconds: np.ndarray,
    commitment_block: np.ndarray,
    warning: float,
    includes: np.ndarray | None,
    first: int,
    end: int,
    bond_locked: np.ndarray,
    slot_start: int,
) -> tuple[np.ndarray, ...]:
    """`proving.step_proving` after the proving time, as the model computed it in numpy (its `failure_of`,
    `timeline.time_of` and `timeline.land`)."""
    revealed = stage == int(Stage.REVEALED)
    failure = (
        np.full(prover.shape, mean)
        if fails.size == 0
        else np.where(prover >= 0, fails[np.maximum(prover, 0)], mean)
    )
    sound = revealed & (u_proof >= failure)
    rows = np.arange(seconds.shape[0])
    at = np.where(commitment_block >= 0, seconds[rows, np.maximum(commitment_block, 0)], np.inf)
    ready = at + warning + duration
    landed = np.full(stage.shape, -1, dtype=np.int64)
    for i in range(stage.size):
        for j in range(first, end):
            if seconds[i, j] >= ready[i] and (includes is None or includes[i, j]):
                landed[i] = j
                break
    proven = sound & (landed >= 0)
    return (
        np.where(proven, int(Stage.PROVEN), stage).astype(np.int8),
        np.where(proven, slot_start + landed, -1),
        revealed & ~proven & sound,
        np.where(revealed & ~proven, bond_locked, 0.0),
    )


@pytest.mark.parametrize("runs", [0, 1, 200])
@pytest.mark.parametrize("spread", [False, True])
@pytest.mark.parametrize("censored", [False, True])
def test_the_compiled_proof_outcome_equals_the_numpy_steps(runs: int, spread: bool, censored: bool) -> None:
    rng = np.random.default_rng(runs + 10 * spread + 100 * censored)
    blocks, first, end = 12, 7, 11
    stage = rng.choice([int(Stage.COMMITTED), int(Stage.REVEALED)], runs, p=[0.2, 0.8]).astype(np.int8)
    prover = rng.integers(-1, 4, runs)  # -1: self-proved
    fails = rng.random(4) * 0.5 if spread else np.zeros(0)
    u_proof = rng.random(runs)
    seconds = np.cumsum(rng.exponential(12.0, (runs, blocks)), axis=1)
    seconds[rng.random((runs, blocks)) < 0.05] = np.inf  # blocks never built
    commitment_block = rng.integers(-1, 5, runs)  # -1: none (never ready)
    duration = rng.lognormal(3.5, 0.6, runs)
    includes = rng.random((runs, blocks)) < 0.7 if censored else None
    bond = rng.random(runs) * 100.0
    args = (
        stage,
        prover,
        fails,
        0.1,
        u_proof,
        duration,
        seconds,
        commitment_block,
        4.0,
        includes,
        first,
        end,
        bond,
    )
    expected = _proof_outcome_numpy(*args, 840)
    got = kernels_phases.proof_outcome(*args, 840, int(Stage.REVEALED), int(Stage.PROVEN))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype and g.shape == (runs,)
    if runs > 100:  # every outcome occurs
        proven = got[0] == int(Stage.PROVEN)
        assert proven.any() and got[2].any() and (got[3] > 0).any() and (stage != int(Stage.REVEALED)).any()


@pytest.mark.parametrize("runs", [0, 1, 300])
@pytest.mark.parametrize("blobs_per_full_block", [0, 3])
def test_the_compiled_backup_worth_it_is_participations_rule(
    runs: int, blobs_per_full_block: int, make_params: Callable[..., Params]
) -> None:
    """The compiled rule equals `participation.backup_pays` of `participation.backup_cost` (with the blobs as the
    model counted them in numpy), exactly, near the break-even where the comparison's rounding matters."""
    from aztec_econ.model.mechanisms import participation
    from aztec_econ.model.mechanisms.prover_market import BLOB_GAS, GWEI

    params = make_params(protocol__l1_gas__blobs_per_full_block=blobs_per_full_block)
    pr, b = params.protocol, params.agents.backup
    rng = np.random.default_rng(runs + blobs_per_full_block)
    used = rng.random(runs) * pr.block_capacity
    used[: min(runs, 2)] = 0.0  # an empty block still needs its blob
    gas, blob, eth = (
        rng.lognormal(3.0, 1.0, runs),
        rng.lognormal(0.0, 2.0, runs),
        rng.lognormal(-8.0, 0.5, runs),
    )
    factor = 0.75
    blobs = (
        np.zeros(runs)
        if blobs_per_full_block == 0
        else np.maximum(1.0, np.ceil(blobs_per_full_block * used / pr.block_capacity))
    )
    cost = participation.backup_cost(params, blobs, gas, blob, eth)
    reward = pr.block_reward * pr.backup_reward_share * factor
    kept = cost - reward + rng.normal(0.0, 1e-3, runs) * cost  # around the break-even
    expected = participation.backup_pays(params, np.full(runs, factor), kept, cost)
    got = kernels_phases.backup_worth_it(
        used,
        gas,
        blob,
        eth,
        kept,
        float(blobs_per_full_block),
        float(pr.block_capacity),
        float(pr.l1_gas.backup),
        GWEI,
        BLOB_GAS * GWEI,
        float(b.proving_cost_per_block),
        reward,
    )
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.bool_ and got.shape == (runs,)
    if runs > 100:
        assert got.any() and not got.all()


@pytest.mark.parametrize("runs", [0, 1, 100])
def test_the_compiled_commitment_outcome_equals_the_numpy_steps(runs: int) -> None:
    from aztec_econ.model.ledger import Account, bond_owner

    rng = np.random.default_rng(runs + 3)
    prover = rng.integers(-1, 5, runs)  # -1: no third-party prover won
    self_proved = (prover < 0) & (rng.random(runs) < 0.5)
    at = rng.integers(-1, 12, runs)
    stage = rng.choice([int(Stage.NONE), int(Stage.PROPOSED)], runs).astype(np.int8)
    committed = self_proved | (prover >= 0)  # `sidecar.step_commitment` in numpy
    expected = (
        np.where(committed, 2.5, 0.0),
        bond_owner(prover, self_proved),
        np.where(committed, int(Stage.COMMITTED), stage).astype(np.int8),
        np.where(committed, at, -1),
    )
    got = kernels_phases.commitment_outcome(
        self_proved,
        prover,
        at,
        stage,
        2.5,
        int(Stage.COMMITTED),
        int(Account.SEQUENCERS),
        int(Account.PROVER0),
    )
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype and g.shape == (runs,)


def _outlook_in_numpy(ctx: Any, used: Any, start: float) -> tuple[Any, Any]:
    """`proving.outlook` as the model computed it before the time left was taken once per simulation: on arrays of
    the start per run, the median from the block's mana."""
    from scipy.special import ndtr

    from aztec_econ.model.mechanisms.proving import _NODES, decay_factor, median_seconds, missing_warning

    p = ctx.params
    first, end = ctx.phases["proof"]
    block = float(p.protocol.l1_block_seconds)
    ready = np.full(used.shape, start) + missing_warning(p)
    median = median_seconds(p, used)
    sd = p.agents.provers.proving_time_log_sd
    room = (end - 1) * block - ready
    with np.errstate(divide="ignore", invalid="ignore"):
        if sd > 0:
            on_time = np.where(room > 0, ndtr((np.log(np.maximum(room, 1e-300)) - np.log(median)) / sd), 0.0)
        else:
            on_time = (median <= room).astype(np.float64)
    if p.protocol.variants.reward_decay_per_l1_block == 0:
        return on_time, np.ones(on_time.shape)
    lands = ready[:, None] + median[:, None] * np.exp(sd * _NODES[None, :])
    at = np.maximum(first, np.ceil(lands / block - 1e-9)).astype(np.int64)
    ok = at <= end - 1
    factor = decay_factor(p, at) * ok
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = factor.sum(axis=1) / ok.sum(axis=1)
    return on_time, np.where(ok.any(axis=1), mean, 1.0)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"protocol.variants.reward_decay_per_l1_block": 0.05},
        {"agents.provers.proving_time_log_sd": 0.0},
        {"agents.provers.proving_time_log_sd": 0.0, "protocol.variants.reward_decay_per_l1_block": 0.05},
        {"agents.provers.ramp_up_seconds": 10_000.0},  # no time left: never on time
        {"agents.provers.ramp_up_seconds": 10_000.0, "agents.provers.proving_time_log_sd": 0.0},
    ],
)
def test_the_proving_outlook_is_the_numpy_formula_bit_for_bit(overrides: dict[str, Any]) -> None:
    """`proving.outlook` with the time left taken once (`_log_seconds`) equals the per-run numpy formula exactly,
    for any start (the deadline's second and past it included) and blocks from empty to full."""
    from aztec_econ.model.context import build_context
    from aztec_econ.model.mechanisms.proving import median_seconds, outlook

    params = load_params(overrides={"sim.runs": 64, **overrides})
    ctx = build_context(params)
    rng = np.random.default_rng(7)
    used = rng.uniform(0.0, params.protocol.block_capacity, 64)
    used[:3] = 0.0, params.protocol.block_capacity, 1e-300
    _, end = ctx.phases["proof"]
    deadline = (end - 1) * float(params.protocol.l1_block_seconds)
    for start in (0.0, 12.0, 37.5, deadline - 1e-9, deadline, deadline + 12.0):
        got = outlook(ctx, median_seconds(params, used), start)
        expected = _outlook_in_numpy(ctx, used, start)
        for g, e in zip(got, expected, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape
            assert g.tobytes() == e.tobytes(), (overrides, start)
