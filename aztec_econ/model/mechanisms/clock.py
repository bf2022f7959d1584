"""Slot clock: advances the slot, draws the slot's behaviour uniforms, resets the per-slot flows and outcome.

One cadCAD timestep is one L2 slot (ARCHITECTURE.md, Time); slot t starts at L1 block t * slot_l1_blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aztec_econ.model.context import Context
from aztec_econ.model.draws import slot_draws

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def step_clock(ctx: Context, s: State) -> dict[str, Any]:
    slot = s["slot"] + 1
    return {
        "slot": slot,
        "draws": slot_draws(ctx.keys, slot, ctx.draws),
        "book": s["book"].new_slot(),
        "outcome": ctx.empty_outcome,
    }
