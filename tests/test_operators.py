"""Operators own keys (issue 13): key distributions, outages that take an operator's keys and provers offline
together, registrations by operators, per-operator concentration, costs and returns."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import agent_table, operator_table
from aztec_econ.model.harness import run_step, state_before, with_outcome
from aztec_econ.model.mechanisms.election import top_eligible
from aztec_econ.model.mechanisms.operators import (
    HoldingChanges,
    chunk_holdings,
    initial_key_counts,
    stationary_down,
)
from aztec_econ.model.stage import Stage
from aztec_econ.model.state import State
from aztec_econ.params import Params, ParamsError, load_params
from aztec_econ.simulation import simulate

FIXED_KEYS = {"agents__sequencers__registrations_per_day": 0.0, "agents__sequencers__exits_per_day": 0.0}


def _force_down(state: State, down_operators: list[int]) -> State:
    ops = state["operators"]
    down = np.zeros_like(ops.down)
    down[:, down_operators] = True
    return {**state, "operators": replace(ops, down=down)}  # type: ignore[typeddict-item]


def test_initial_keys_follow_the_distribution() -> None:
    zipf = load_params(overrides={"agents.operators.count": 4, "agents.sequencers.initial": 25})
    # weights 1, 1/2, 1/3, 1/4 of 25 keys: 12.0, 6.0, 4.0, 3.0
    assert initial_key_counts(zipf).tolist() == [12, 6, 4, 3]
    equal = zipf.with_overrides({"agents.operators.key_distribution": "equal"})
    assert initial_key_counts(equal).tolist() == [7, 6, 6, 6]
    listed = zipf.with_overrides(
        {"agents.operators.key_distribution": "list", "agents.operators.key_counts": [20, 0, 4, 1]}
    )
    assert initial_key_counts(listed).tolist() == [20, 0, 4, 1]


@pytest.mark.parametrize(
    ("counts", "rule"),
    [([100, 100], "one entry per operator"), ([100, 50, 40], "must sum to agents.sequencers.initial = 200")],
)
def test_bad_key_counts_fail_naming_field_value_and_rule(
    make_params: Callable[..., Params], counts: list[int], rule: str
) -> None:
    with pytest.raises(
        ParamsError, match=rf"agents.operators.key_counts = \[{', '.join(map(str, counts))}\].*{rule}"
    ):
        make_params(
            agents__operators__count=3,
            agents__operators__key_distribution="list",
            agents__operators__key_counts=counts,
        )


def test_the_old_operating_cost_fails_naming_its_replacements() -> None:
    with pytest.raises(
        ParamsError, match=r"operating_cost_per_day = 0\.003: renamed: use agents\.operators\.hardware"
    ):
        load_params(overrides={"agents.sequencers.operating_cost_per_day": 0.003})


def test_zipf_keys_leave_fewer_operators_with_half_the_blocks_than_equal_keys(
    make_params: Callable[..., Params],
) -> None:
    """40 operators, 200 keys. Equal: 5 keys each, about 20 operators produce half the blocks. Zipf 1: the largest
    five hold 2.28 / 4.28 = 53% of the keys, so about 5 do."""
    common = {"sim__slots": 1440, "agents__operators__count": 40, **FIXED_KEYS}
    zipf = kpis_per_run(simulate(make_params(**common)))
    equal = kpis_per_run(simulate(make_params(agents__operators__key_distribution="equal", **common)))
    assert zipf["nakamoto_operators"].max() <= 7
    assert equal["nakamoto_operators"].min() >= 15
    assert (zipf["nakamoto_operators_third"] < equal["nakamoto_operators_third"]).all()
    assert (zipf["gini_operator_rewards"] > equal["gini_operator_rewards"] + 0.3).all()


def test_an_operator_outage_takes_all_its_keys_offline_together(make_params: Callable[..., Params]) -> None:
    """Two operators of 100 keys each, no other offline keys, 10 top-ranked candidates: with operator 0 down, each of
    its candidates is offline, so exactly operator 1's candidates propose and the best of them wins; with both down
    nobody proposes."""
    k = 10
    params = make_params(
        sim__runs=8,
        agents__sequencers__offline_probability=0.0,
        agents__operators__outage_rate_per_day=0.0,
        agents__operators__count=2,
        agents__operators__key_distribution="list",
        agents__operators__key_counts=[100, 100],
        agents__sequencers__proposers_per_slot=k,
    )
    ctx, state = state_before(params, "proposal", slot=3)
    candidates = top_eligible(
        state["randao"], state["registry"], 3 * ctx.slot_l1_blocks, k, ctx.domain_bits, ctx.window
    )
    owner = state["operators"].owner[np.arange(ctx.n_runs)[:, None], candidates]
    up = run_step(ctx, state, "proposal")["outcome"]
    assert (up.proposals == k).all() and (up.proposer == candidates[:, 0]).all()
    down = run_step(ctx, _force_down(state, [0]), "proposal")["outcome"]
    assert (down.proposals == (owner == 1).sum(axis=1)).all()
    best_of_1 = candidates[np.arange(ctx.n_runs), np.argmax(owner == 1, axis=1)]
    assert (down.proposer == best_of_1).all()
    assert (owner[:, 0] == 0).any()  # some run lost its best key to the outage
    both = run_step(ctx, _force_down(state, [0, 1]), "proposal")["outcome"]
    assert (both.proposer == -1).all() and (both.proposals == 0).all()


def test_a_prover_run_by_an_operator_does_not_quote_while_it_is_down(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        agents__provers__count=1,
        agents__provers__unavailable_probability=0.0,
        agents__sequencers__self_prove_probability=0.0,
        agents__sequencers__prover_strategy="cheapest",
        agents__operators__provers_run_by_operators=1,
        agents__operators__outage_rate_per_day=0.0,
        sim__runs=4,
    )
    ctx, state = state_before(params, "commitment", slot=1)
    state = with_outcome(state, stage=np.full(ctx.n_runs, Stage.PROPOSED, dtype=np.int8))
    assert (run_step(ctx, state, "commitment")["outcome"].stage == Stage.COMMITTED).all()
    after = run_step(ctx, _force_down(state, [0]), "commitment")["outcome"]
    assert (after.stage == Stage.PROPOSED).all() and (after.prover == -1).all()
    # another operator's outage leaves it quoting
    other = run_step(ctx, _force_down(state, [1]), "commitment")["outcome"]
    assert (other.stage == Stage.COMMITTED).all()


def test_outages_are_down_rate_times_mean_over_one_plus_that_of_the_time(
    make_params: Callable[..., Params],
) -> None:
    """2 outages a day of 6 hours on average: r m = 0.5, so a third of the time. The time average of a two-state
    chain over T days has variance 2 pi (1 - pi) / ((r + u) T) per operator (r + u = 6 per day); 400 operators over
    10 days give a standard error of 0.0043; the test allows 4 of them."""
    params = make_params(
        sim__slots=1440,
        sim__runs=2,
        agents__operators__count=200,
        agents__operators__key_distribution="equal",
        agents__operators__outage_rate_per_day=2.0,
        agents__operators__outage_mean_hours=6.0,
        **FIXED_KEYS,
    )
    pi = stationary_down(params)
    assert pi == pytest.approx(1 / 3)
    frame = simulate(params).frame
    share = frame["operators_down"].mean() / 200
    days = 10.0
    se = math.sqrt(2 * pi * (1 - pi) / (6.0 * days) / 400)
    assert abs(share - pi) <= 4 * se
    # one key per operator: the eligible keys down are the operators down
    assert (frame["keys_down"] == frame["operators_down"]).all()


def test_one_key_per_operator_without_outages_is_the_key_lottery(make_params: Callable[..., Params]) -> None:
    """With as many operators as keys and no outages, ownership changes nothing in the election (the proposers
    equal those of a single operator holding every key) and the per-operator figures are the per-key ones."""
    common = {"sim__slots": 720, "agents__operators__outage_rate_per_day": 0.0, **FIXED_KEYS}
    each = simulate(
        make_params(agents__operators__count=200, agents__operators__key_distribution="equal", **common)
    )
    one = simulate(make_params(agents__operators__count=1, **common))
    assert each.frame["proposer"].equals(one.frame["proposer"])
    assert (each.frame["proposer_operator"] == each.frame["proposer"]).all()
    kpis = kpis_per_run(each)
    assert np.allclose(kpis["gini_operator_rewards"], kpis["gini_sequencer_rewards"])
    assert (kpis["nakamoto_operators"] == kpis["nakamoto_sequencer_rewards"]).all()
    assert (kpis_per_run(one)["nakamoto_operators"] == 1).all()


def test_registrations_come_from_new_or_existing_operators(make_params: Callable[..., Params]) -> None:
    common = {
        "sim__slots": 144,
        "agents__sequencers__registrations_per_day": 100.0,
        "agents__operators__count": 20,
    }
    keys = simulate(make_params(agents__operators__new_operator_share=1.0, **common)).keys
    new = keys[keys["registered_l1_block"] >= 0]
    assert len(new) > 100 and (new["operator"] >= 20).all()
    assert not new.duplicated(["run", "operator"]).any()  # each a new operator
    keys = simulate(make_params(agents__operators__new_operator_share=0.0, **common)).keys
    new = keys[keys["registered_l1_block"] >= 0]
    assert (new["operator"] < 20).all()
    # preferential attachment: operator 0 holds 10 / 35.98 of the weight at first; over ~300 keys, 28% within 4 SE
    share = (new["operator"] == 0).mean()
    assert abs(share - 0.278) <= 4 * math.sqrt(0.278 * 0.722 / len(new)) + 0.02


def test_operators_not_yet_created_are_up_and_every_outage_is_counted(
    make_params: Callable[..., Params],
) -> None:
    """`kernels_slot.operator_counts` reads each run's outage states up to its `n_operators` only: the operators not
    yet created must be up in every slot (genesis and `next_down`), with new operators joining and outages frequent;
    the operators down it counts are all of them."""
    from aztec_econ.model.context import build_context
    from aztec_econ.model.state import initial_state
    from aztec_econ.simulation import _Engine

    params = make_params(
        sim__slots=300,
        agents__sequencers__registrations_per_day=60.0,
        agents__operators__new_operator_share=0.5,
        agents__operators__outage_rate_per_day=4.0,
    )
    ctx = build_context(params)
    state = initial_state(ctx)
    finals = _Engine(ctx, state, False).segment(state, params.sim.slots)
    created = [int(f["operators"].n_operators.max()) for f in (state, finals[-1])]
    assert created[1] > created[0]  # operators joined
    for s in (state, *finals):
        ops = s["operators"]
        beyond = np.arange(ops.down.shape[1])[None, :] >= ops.n_operators[:, None]
        assert not ops.down[beyond].any()
    for s in finals:
        ops = s["operators"]
        np.testing.assert_array_equal(ops.operators_down, ops.down.sum(axis=1))
    assert sum(int(f["operators"].operators_down.sum()) for f in finals) > 0


def test_operator_table_adds_up_to_the_sequencers_and_charges_scale_costs(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(sim__slots=720, agents__operators__count=20, **FIXED_KEYS)
    traj = simulate(params)
    ops = operator_table(traj)
    agents = agent_table(traj)
    seq = agents[agents["role"] == "sequencer"].set_index("run")
    totals = ops.groupby("run")[["revenue", "cost", "profit"]].sum()
    assert np.allclose(totals["profit"], seq["profit"]) and np.allclose(totals["cost"], seq["cost"])
    days = 5.0
    eth = params.environment.token.eth_per_token
    o = params.agents.operators
    assert np.allclose(ops["cost_fixed"], days * o.fixed_cost_per_day / eth)
    assert np.allclose(ops["cost_hardware"], ops["keys"] * days * o.hardware_cost_per_key_per_day / eth)
    assert (
        ops["blocks"].groupby(ops["run"]).sum()
        == (traj.frame["mode"] == "happy").groupby(traj.frame["run"]).sum()
    ).all()
    # fixed costs weigh more on small operators: with only fixed costs, returns rise with size
    fixed_only = simulate(
        params.with_overrides(
            {
                "agents.operators.hardware_cost_per_key_per_day": 0.0,
                "agents.operators.fixed_cost_per_day": 1.0,
            }
        )
    )
    table = operator_table(fixed_only)
    small, large = table[table["keys"] <= 3]["apr"].mean(), table[table["keys"] >= 20]["apr"].mean()
    assert small < large
    kpis = kpis_per_run(fixed_only)
    assert (kpis["apr_operator_p10"] <= kpis["apr_operator_p50"]).all()
    assert (kpis["apr_operator_p50"] <= kpis["apr_operator_p90"]).all()


def test_the_compiled_holdings_equal_the_numpy_count(make_params: Callable[..., Params]) -> None:
    """Registrations, exits and new operators within a later chunk: the same holdings at its first slot and the same
    changes in every slot (their order within a slot does not matter: they are added)."""
    params = make_params(
        sim__slots=400,
        protocol__entry_period_days=0.5,  # registrations become eligible within the horizon
        agents__sequencers__registrations_per_day=50.0,
        agents__sequencers__exits_per_day=50.0,
        agents__operators__new_operator_share=0.3,
    )
    ctx, state = state_before(params, "operators", slot=200)
    ops = run_step(ctx, state, "operators")["operators"]
    reg = state["registry"]
    fast, reference = chunk_holdings(ctx, ops, reg), _chunk_holdings_numpy(ctx, ops, reg)
    np.testing.assert_array_equal(fast.start, reference.start)
    np.testing.assert_array_equal(fast.offsets, reference.offsets)
    np.testing.assert_array_equal(fast.active_start, reference.active_start)
    runs, n_ops = fast.start.shape
    for t in range(1, fast.offsets.size - 1):
        a, b = (
            slice(fast.offsets[t], fast.offsets[t + 1]),
            slice(reference.offsets[t], reference.offsets[t + 1]),
        )
        assert Counter(zip(fast.cells[a], fast.signs[a], strict=True)) == Counter(
            zip(reference.cells[b], reference.signs[b], strict=True)
        )
        # within a slot the changes' order differs, their crossings add up to the same count at the slot's end
        upto = slice(fast.offsets[1], fast.offsets[t + 1])
        for one in (fast, reference):
            assert one.crossing.dtype == np.int8
        np.testing.assert_array_equal(
            np.bincount(fast.cells[upto] // n_ops, fast.crossing[upto], minlength=runs),
            np.bincount(reference.cells[upto] // n_ops, reference.crossing[upto], minlength=runs),
        )
    assert fast.cells.size > 50 and (fast.signs < 0).any() and (fast.signs > 0).any() and reg.plan.start > 0


def _chunk_holdings_numpy(ctx: Any, ops: Any, reg: Any) -> HoldingChanges:
    """`operators.chunk_holdings` as the model computed it in numpy before it was compiled (the reference)."""
    length = ctx.slot_l1_blocks
    start, n_slots = reg.plan.start, reg.plan.active.shape[1]
    first = start * length
    m = int(reg.n_keys.max())
    n_ops = int(ops.n_operators.max())
    owner = np.maximum(ops.owner[:, :m], 0).astype(np.int64)
    cell = (np.arange(ctx.n_runs, dtype=np.int64)[:, None] * n_ops + owner).ravel()
    held = np.zeros(ctx.n_runs * n_ops, dtype=np.int64)
    slots, cells, signs = [], [], []
    for times, sign in ((reg.eligible[:, :m], 1), (reg.exit_signal[:, :m], -1)):
        # the slot of the chunk from which the change counts: 0 for one before the chunk, n_slots for one after it
        at = np.clip(-(-(times - first) // length), 0, n_slots).ravel()
        held += sign * np.bincount(cell[at == 0], minlength=held.size)
        inside = (at > 0) & (at < n_slots)
        slots.append(at[inside])
        cells.append(cell[inside])
        signs.append(np.full(int(inside.sum()), sign, dtype=np.int32))
    order = np.argsort(np.concatenate(slots), kind="stable")
    at_sorted = np.concatenate(slots)[order]
    changed, moves = np.concatenate(cells)[order], np.concatenate(signs)[order]
    offsets = np.searchsorted(at_sorted, np.arange(n_slots + 1), side="left")
    crossing = np.zeros(changed.size, dtype=np.int8)  # the count of operators holding a key, change by change
    running = held.copy()
    for c in range(int(offsets[1]), changed.size):
        before = running[changed[c]] > 0
        running[changed[c]] += moves[c]
        crossing[c] = int(running[changed[c]] > 0) - int(before)
    return HoldingChanges(
        start=held.reshape(ctx.n_runs, n_ops).astype(np.int32),
        cells=changed,
        signs=moves,
        offsets=offsets,
        active_start=(held.reshape(ctx.n_runs, n_ops) > 0).sum(axis=1),
        crossing=crossing,
    )
