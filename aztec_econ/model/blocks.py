"""Every step of a slot, in order: the one place that shows what happens in a slot (`aztec-econ model` prints it).

A step is one mechanism's state transition: a function `(ctx, state) -> updates` in the mechanism's module, with a
label, one line of description and the state variables it writes. Steps run in the order listed; each sees the
updates of the steps before it. Consecutive steps are grouped into `Block`s, the phases of a slot; cadCAD runs the
whole slot as one partial-state-update block (a cadCAD block costs ~20 us per slot even when it does nothing:
measured 4 blocks -> 1 saves about 3% of a slot), which changes nothing but speed. The steps after the horizon work on the recorded columns, not on the state.

The cadCAD signature lives only here (`cadcad_blocks`): mechanisms see the `Context` and the typed `State`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aztec_econ.model import ledger, outcome
from aztec_econ.model.columns import L1_BLOCK, RUN, SLOT, Column, Recorder
from aztec_econ.model.context import Context
from aztec_econ.model.mechanisms import (
    adversary,
    backup,
    censorship,
    clock,
    confirmation,
    election,
    governance,
    market,
    operators,
    proving,
    randao,
    randao_attack,
    registry,
    reveal,
    rewards,
    settlement,
    sidecar,
    timeline,
)
from aztec_econ.model.state import State

StepFunction = Callable[[Context, State], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """One mechanism's transition within a slot."""

    label: str
    description: str
    function: StepFunction
    writes: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """Consecutive steps: one phase of a slot, named for readers (cadCAD runs all of them as one block)."""

    label: str
    steps: tuple[Step, ...]

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for step in self.steps for name in step.writes))


BLOCKS: tuple[Block, ...] = (
    Block(
        "slot start",
        (
            Step(
                "clock",
                "advance the slot, draw its behaviour uniforms, reset the per-slot flows and outcome",
                clock.step_clock,
                ("slot", "draws", "book", "outcome"),
            ),
            Step(
                "registry",
                "register, activate, signal exit and release keys; lock and unlock stakes",
                registry.step_registry,
                ("registry", "sequencers", "book"),
            ),
            Step(
                "operators",
                "new keys get their operators; each operator goes down or recovers (outages take all its keys offline)",
                operators.step_operators,
                ("operators",),
            ),
        ),
    ),
    Block(
        "l1",
        (
            Step(
                "randao",
                "read the RANDAO value stored `randao_lag_l1_blocks` L1 blocks before the slot",
                randao.step_randao,
                ("randao",),
            ),
            Step(
                "randao bias",
                "the attacker may withhold its L1 blocks to replace that value with a better one for its keys",
                randao_attack.step_randao_bias,
                ("randao", "adversary"),
            ),
            Step(
                "censorship",
                "which of the slot's L1 blocks censoring builders build",
                censorship.step_censorship,
                ("adversary",),
            ),
            Step(
                "l1 blocks",
                "when each of the slot's L1 blocks is built: an empty L1 slot delays every later block by 12 s",
                timeline.step_l1_blocks,
                ("l1",),
            ),
        ),
    ),
    Block(
        "happy path",
        (
            Step(
                "proposal",
                "Fernet election: top-ranked online keys propose; the best landed proposal wins",
                election.step_election,
                ("outcome",),
            ),
            Step(
                "commitment",
                "Sidecar: the winner commits to a prover, who locks its bond",
                sidecar.step_commitment,
                ("outcome", "book"),
            ),
            Step(
                "reveal",
                "the winner publishes the block data to DA, or the bond is at stake",
                reveal.step_reveal,
                ("outcome", "book"),
            ),
            Step(
                "proving",
                "the prover delivers the proof in the proving phase, or its bond is slashed",
                proving.step_proving,
                ("outcome", "book"),
            ),
            Step(
                "finalization",
                "mint the block reward, split it between sequencer, prover and submitter, release the bond",
                rewards.step_finalization,
                ("outcome", "book"),
            ),
        ),
    ),
    Block(
        "backup and economics",
        (
            Step(
                "backup",
                "if the happy path failed, race in backup mode (first ready builder wins) or skip the slot",
                backup.step_backup,
                ("outcome", "book"),
            ),
            Step(
                "arrivals",
                "the transactions users submit during the slot (the next slot's arrivals; a late reveal takes some)",
                market.step_arrivals,
                ("economy",),
            ),
            Step(
                "settlement",
                "settle the produced block (a late reveal adds submissions): fees, burns, MEV, prover's price, costs",
                settlement.step_settlement,
                ("economy", "book"),
            ),
            Step(
                "next slot's market",
                "the block's transactions leave the mempool, which ages and takes the slot's remaining submissions; the "
                "next L1 prices; prepare the next block",
                market.step_next_slot_market,
                ("economy",),
            ),
            Step(
                "ledger check",
                "assert, once for all the slot's postings, that tokens are conserved and no account is negative",
                ledger.step_check,
                ("book",),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class AfterStep:
    """A step that works on the recorded per-slot columns rather than on the state."""

    label: str
    description: str
    when: str
    function: Callable[..., Any]


AFTER_SLOTS: tuple[AfterStep, ...] = (
    AfterStep(
        "confirmation times",
        "bin each slot's included transactions by delay to each confirmation stage (`confirmation.accumulate`)",
        "after each segment of slots",
        confirmation.accumulate,
    ),
    AfterStep(
        "upgrade votes",
        "each counted block's upgrade signal over whole vote windows (`governance.votes`)",
        "after the horizon",
        governance.votes,
    ),
)
AFTER = {step.label: step.function for step in AFTER_SLOTS}

STEPS: tuple[Step, ...] = tuple(step for block in BLOCKS for step in block.steps)

RECORDERS: tuple[Recorder, ...] = (
    outcome.RECORDER,
    ledger.RECORDER,
    registry.RECORDER,
    operators.RECORDER,
    adversary.RECORDER,
    settlement.RECORDER,
)
"""What is recorded of each slot's final state, in frame order."""

FRAME_COLUMNS: tuple[Column, ...] = (
    RUN,
    SLOT,
    L1_BLOCK,
    *(column for recorder in RECORDERS for column in recorder.columns),
    governance.VOTE_COLUMN,
)
"""Every column of `simulate(...).frame`, in frame order."""


def run_steps(
    ctx: Context, state: State, steps: tuple[Step, ...], observe: Callable[[State], None] | None = None
) -> dict[str, Any]:
    """Run `steps` in order from `state`; returns the updates of all of them (later steps' values win). Each step
    sees `state` with the updates of the steps before it: one copy of `state` taken up front and updated in place
    (steps read the state, never keep it), instead of a new merged dict per step. `observe`, if given, is called
    with that copy once every step has run: the final state, while its arrays are fresh in the cache (the runner's
    per-slot accumulations; it must not change the state)."""
    updates: dict[str, Any] = {}
    current: Any = dict(state)
    for step in steps:
        changed = step.function(ctx, current)
        updates.update(changed)
        current.update(changed)
    if observe is not None:
        observe(current)
    return updates


SIGNAL = "updates"
"""The one signal of the slot's policy: the updates of all its steps (`run_steps`), by state variable. One signal
instead of one per variable: cadCAD aggregates every signal label of a substep on its own (measured 2026-12-08:
9.1 us a substep for 12 labels, 2.0 for one), and the state update functions read theirs from it."""


def _policy(steps: tuple[Step, ...]) -> Callable[..., dict[str, Any]]:
    def policy(params: dict[str, Any], substep: int, history: Any, s: Any) -> dict[str, Any]:
        return {SIGNAL: run_steps(params["ctx"], s, steps, params.get("observe"))}

    policy.__name__ = "p_slot"
    return policy


def _take(name: str) -> Callable[..., tuple[str, Any]]:
    def update(
        params: dict[str, Any], substep: int, history: Any, state: dict[str, Any], signal: dict[str, Any]
    ) -> tuple[str, Any]:
        updates = signal[SIGNAL]
        return name, updates[name] if name in updates else state[name]  # a step that did nothing leaves it

    update.__name__ = f"s_{name}"
    return update


def cadcad_blocks() -> list[dict[str, Any]]:
    """The slot in cadCAD's partial-state-update format: one cadCAD block that runs every step of every `Block` in
    order (a cadCAD block costs ~20 us per slot in cadCAD's own machinery even when it does nothing). Its policy
    takes the context from cadCAD's parameters (`ctx`) and, where they hold one, the callback `run_steps` calls
    with each slot's final state (`observe`)."""
    writes = tuple(dict.fromkeys(name for block in BLOCKS for name in block.writes))
    return [
        {
            "label": "slot",
            "description": "; ".join(f"{s.label}: {s.description}" for s in STEPS),
            "policies": {"mechanism": _policy(STEPS)},
            "variables": {name: _take(name) for name in writes},
        }
    ]


def describe() -> str:
    """The slot's steps, numbered, with what each writes, then the steps after the slots (`aztec-econ model`)."""
    lines = []
    for i, step in enumerate(STEPS, 1):
        lines.append(f"{i:>2}. {step.label:<20} {step.description}  [writes: {', '.join(step.writes)}]")
    lines.append("after the slots:")
    for after in AFTER_SLOTS:
        lines.append(f"    {after.label:<20} {after.description} ({after.when})")
    return "\n".join(lines)
