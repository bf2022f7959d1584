"""Run single steps of a slot outside cadCAD, so a mechanism can be tested (or explored) alone.

    ctx, state = state_before(params, "commitment", slot=3)   # slots 0-2 and slot 3 up to the commitment
    state = with_outcome(state, stage=...)                     # set up the case to test
    after = run_step(ctx, state, "commitment")

The steps run exactly as in a simulation (`model.blocks.run_steps`, same order, same draws), only without cadCAD's
records: a slot's state here equals the state cadCAD would pass to the step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from aztec_econ.model.blocks import STEPS, Step, run_steps
from aztec_econ.model.context import Context, build_context
from aztec_econ.model.state import State, initial_state
from aztec_econ.params import Params


def step(label: str) -> Step:
    """The slot's step called `label` (see `aztec-econ model`)."""
    for s in STEPS:
        if s.label == label:
            return s
    raise KeyError(f"no step {label!r}; steps: {', '.join(s.label for s in STEPS)}")


def _apply(state: State, updates: dict[str, Any]) -> State:
    return cast(State, {**state, **updates})


def state_before(params: Params, label: str, slot: int = 0, runs: Any = None) -> tuple[Context, State]:
    """The context and the state that step `label` of slot `slot` sees: every earlier slot simulated, then this
    slot's steps before `label`."""
    index = STEPS.index(step(label))
    ctx = build_context(params, runs)
    state = initial_state(ctx)
    for _ in range(slot):
        state = _apply(state, run_steps(ctx, state, STEPS))
    return ctx, _apply(state, run_steps(ctx, state, STEPS[:index]))


def run_step(ctx: Context, state: State, label: str) -> State:
    """The state after step `label` runs on `state`, which is left as it was: a slot's open book, which postings
    write in place (`model.ledger`), is copied first."""
    book = state["book"]
    if book.deferred:
        state = _apply(state, {"book": book.copy()})
    return _apply(state, run_steps(ctx, state, (step(label),)))


def with_outcome(state: State, **fields: Any) -> State:
    """`state` with some fields of the slot's outcome replaced (arrays per run)."""
    return _apply(state, {"outcome": replace(state["outcome"], **fields)})
