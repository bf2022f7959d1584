"""The state of the model (a documented `TypedDict`) and its initial values.

Every state variable is a per-run array (leading axis: runs in the batch) or an immutable object holding such arrays;
updates return new objects and never mutate, so cadCAD can run with deepcopy off without corrupting its history.
Few variables on purpose: cadCAD calls an update function for every variable a block writes.
Each variable's description is its `Annotated` metadata (`STATE_DOCS` reads it).
"""

from __future__ import annotations

from typing import Annotated, TypedDict, get_type_hints

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.draws import SlotDraws, slot_draws
from aztec_econ.model.ledger import Account, Book, genesis_book
from aztec_econ.model.mechanisms.adversary import Adversary, genesis_adversary
from aztec_econ.model.mechanisms.market import Economy, genesis_economy
from aztec_econ.model.mechanisms.operators import Operators, genesis_operators
from aztec_econ.model.mechanisms.registry import Registry, SequencerFigures, genesis_registry
from aztec_econ.model.mechanisms.timeline import L1Blocks
from aztec_econ.model.outcome import SlotOutcome


class State(TypedDict):
    """The state at the end of a step; what every step function receives (with cadCAD's own keys beside it)."""

    slot: Annotated[int, "index of the slot being simulated (-1 before the first)"]
    draws: Annotated[SlotDraws, "the slot's behaviour uniforms (model.draws.SlotDraws)"]
    registry: Annotated[
        Registry, "every key's registration, eligibility, exit and release blocks, and the current day's plan"
    ]
    sequencers: Annotated[
        SequencerFigures,
        "the slot's registry figures: queued, active, exiting keys; registrations, exits, releases",
    ]
    operators: Annotated[
        Operators,
        "each key's operator, the operators' outage states, keys and operators down or active in the slot",
    ]
    book: Annotated[Book, "the token ledger: balances per account, supply, this slot's flow totals"]
    randao: Annotated[NDArray[np.uint64], "the RANDAO value the slot's election reads"]
    l1: Annotated[L1Blocks, "when each of the slot's L1 blocks is built (empty L1 slots delay them)"]
    outcome: Annotated[SlotOutcome, "what happened to the slot's block (model.outcome.SlotOutcome)"]
    adversary: Annotated[
        Adversary,
        "the attacker's keys, the slot's censoring L1 blocks, L1 blocks withheld for its RANDAO value",
    ]
    economy: Annotated[
        Economy,
        "mempool, base fee, L1 prices, the prepared candidate block and the slot's settlement (economics)",
    ]


STATE_DOCS: dict[str, str] = {
    name: hint.__metadata__[0] for name, hint in get_type_hints(State, include_extras=True).items()
}
"""Each state variable's description."""


def initial_state(ctx: Context) -> State:
    """The state before the first slot."""
    p = ctx.params
    runs = ctx.n_runs
    seq = p.agents.sequencers
    book = genesis_book(
        runs,
        {
            Account.MARKET: p.environment.circulating_supply,
            Account.SEQUENCERS: seq.initial * seq.initial_balance,
            Account.STAKES: seq.initial * p.protocol.minimum_stake,
        },
        p.agents.provers.count,
        p.agents.provers.initial_balance,
    )
    zeros = np.zeros(runs, dtype=np.int64)
    return {
        "slot": -1,
        "draws": slot_draws(ctx.keys, -1, ctx.draws),
        "registry": genesis_registry(ctx),
        "sequencers": SequencerFigures(
            zeros, np.full(runs, seq.initial, dtype=np.int64), zeros, zeros, zeros, zeros
        ),
        "operators": genesis_operators(ctx),
        "book": book,
        "randao": np.zeros(runs, dtype=np.uint64),
        "l1": L1Blocks(ctx.l1_seconds),
        "outcome": SlotOutcome.empty(runs),
        "adversary": genesis_adversary(ctx),
        "economy": genesis_economy(ctx),
    }
