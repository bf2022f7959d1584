"""Registry: entry and exit timing exact to the L1 block, status counts, churn limit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from aztec_econ.model.context import build_context
from aztec_econ.model.mechanisms.registry import plan_chunk
from aztec_econ.model.state import initial_state
from aztec_econ.params import Params
from aztec_econ.simulation import _Engine, _key_table, simulate

BUSY = {
    "sim__slots": 1000,
    "agents__sequencers__registrations_per_day": 40.0,
    "agents__sequencers__exits_per_day": 30.0,
    "protocol__entry_period_days": 0.8,
    "protocol__exit_delay_days": 1.3,
}


def test_entry_and_exit_happen_exactly_after_their_delays(make_params: Callable[..., Params]) -> None:
    params = make_params(**BUSY)
    keys = simulate(params).keys
    new = keys[keys["registered_l1_block"] >= 0]
    assert len(new) > 100
    entry = round(0.8 * 7200)
    assert (new["eligible_l1_block"] - new["registered_l1_block"] == entry).all()
    exited = keys[keys["exit_signal_l1_block"] >= 0]
    assert len(exited) > 100
    assert (exited["release_l1_block"] - exited["exit_signal_l1_block"] == round(1.3 * 7200)).all()
    assert (exited["exit_signal_l1_block"] >= exited["eligible_l1_block"]).all()  # only active keys exit


def test_winners_are_eligible_at_the_slot_start(make_params: Callable[..., Params]) -> None:
    params = make_params(**BUSY)
    traj = simulate(params)
    won = traj.frame[traj.frame["proposer"] >= 0].merge(
        traj.keys, left_on=["run", "proposer"], right_on=["run", "key"], how="left"
    )
    signal = won["exit_signal_l1_block"].where(won["exit_signal_l1_block"] >= 0, np.iinfo(np.int64).max)
    assert (won["eligible_l1_block"] <= won["l1_block"]).all()
    assert (won["l1_block"] < signal).all()


def test_eligibility_switches_at_exactly_the_entry_and_exit_blocks(
    make_params: Callable[..., Params],
) -> None:
    ctx = build_context(make_params(sim__runs=1))
    registry = initial_state(ctx)["registry"]
    eligible, exit_signal = registry.eligible.copy(), registry.exit_signal.copy()
    eligible[0, 7], exit_signal[0, 7] = 1000, 2000
    registry = type(registry)(**{**registry.__dict__, "eligible": eligible, "exit_signal": exit_signal})
    at = [registry.eligible_at_rows(np.array([0]), np.array([[7]]), b)[0, 0] for b in (999, 1000, 1999, 2000)]
    assert at == [False, True, True, False]


def test_planned_counts_equal_the_counts_from_key_times(make_params: Callable[..., Params]) -> None:
    params = make_params(**BUSY)
    ctx = build_context(params)
    registry = initial_state(ctx)["registry"]
    for start in range(0, 600, ctx.plan_slots):
        registry = plan_chunk(registry, ctx, start)
        for j in (0, 1, 57, ctx.plan_slots - 1):
            queued, active, exiting = registry.status_counts((start + j) * params.protocol.slot_l1_blocks)
            assert (registry.plan.queued[:, j] == queued).all()
            assert (registry.plan.active[:, j] == active).all()
            assert (registry.plan.exiting[:, j] == exiting).all()


def test_registrations_beyond_the_key_capacity_are_refused_naming_the_run(
    make_params: Callable[..., Params],
) -> None:
    """The registrations' kernel writes without bounds checks: a chunk whose registrations would not fit the key
    arrays (a bound `context.registration_bound` makes astronomically unlikely) is refused before it writes, naming
    the first run that overflows."""
    import dataclasses

    import pytest

    params = make_params(**BUSY)
    ctx = build_context(params, runs=[4, 5, 6])
    registry = initial_state(ctx)["registry"]
    tight = dataclasses.replace(ctx, key_capacity=params.agents.sequencers.initial + 1)
    with pytest.raises(RuntimeError, match=r"run 4: more than 1 registrations"):
        plan_chunk(registry, tight, 0)


def test_churn_limit_caps_daily_activations_in_fifo_order(make_params: Callable[..., Params]) -> None:
    params = make_params(**{**BUSY, "protocol__activation_churn_per_day": 5, "sim__slots": 1500})
    keys = simulate(params).keys
    new = keys[keys["registered_l1_block"] >= 0].sort_values(["run", "key"])
    entry = round(0.8 * 7200)
    assert (new["eligible_l1_block"] >= new["registered_l1_block"] + entry).all()
    assert (new["eligible_l1_block"] > new["registered_l1_block"] + entry).any()  # the queue did bind
    per_day = new.groupby(["run", new["eligible_l1_block"] // 7200]).size()
    assert per_day.max() <= 5
    for _, run_keys in new.groupby("run"):
        assert run_keys["eligible_l1_block"].is_monotonic_increasing  # FIFO


def test_frame_counts_match_key_table(make_params: Callable[..., Params]) -> None:
    params = make_params(**BUSY)
    traj = simulate(params)
    frame, keys = traj.frame, traj.keys
    row = frame[(frame["run"] == 1) & (frame["slot"] == 777)].iloc[0]
    k = keys[keys["run"] == 1]
    b = row["l1_block"]
    signal = k["exit_signal_l1_block"].where(k["exit_signal_l1_block"] >= 0, np.iinfo(np.int64).max)
    release = k["release_l1_block"].where(k["release_l1_block"] >= 0, np.iinfo(np.int64).max)
    assert row["active_sequencers"] == ((k["eligible_l1_block"] <= b) & (b < signal)).sum()
    assert row["exiting_sequencers"] == ((signal <= b) & (b < release)).sum()
    assert row["queued_sequencers"] == ((k["registered_l1_block"] <= b) & (b < k["eligible_l1_block"])).sum()


def test_key_table_is_each_runs_registered_keys_in_order(make_params: Callable[..., Params]) -> None:
    """The key table, built column-wise, is the per-run table: each run's first `n_keys` keys in key order, never
    (2^60) as -1, the operator of each key; over split runs whose key counts differ (a busy registry)."""
    params = make_params(**{**BUSY, "sim__runs": 4})
    runs = np.array([2, 5, 6, 9])
    ctx = build_context(params, runs)
    state = initial_state(ctx)
    final = _Engine(ctx, state, deepcopy=False).segment(state, 400)[-1]
    registry, operators = final["registry"], final["operators"]
    assert len(set(registry.n_keys.tolist())) > 1  # the runs hold different numbers of keys
    parts = []
    for r, run in enumerate(runs):
        n = int(registry.n_keys[r])
        parts.append(
            pd.DataFrame(
                {
                    "run": np.full(n, run, dtype=np.int32),
                    "key": np.arange(n, dtype=np.int32),
                    "registered_l1_block": registry.registered[r, :n],
                    "eligible_l1_block": registry.eligible[r, :n],
                    "exit_signal_l1_block": registry.exit_signal[r, :n],
                    "release_l1_block": registry.release[r, :n],
                    "operator": operators.owner[r, :n],
                }
            )
        )
    expected = pd.concat(parts, ignore_index=True)
    for name in ("exit_signal_l1_block", "release_l1_block"):
        expected[name] = expected[name].where(expected[name] != 1 << 60, -1)
    assert (expected["exit_signal_l1_block"] >= 0).any() and (expected["exit_signal_l1_block"] == -1).any()
    pd.testing.assert_frame_equal(_key_table(ctx, registry, operators), expected, check_exact=True)
