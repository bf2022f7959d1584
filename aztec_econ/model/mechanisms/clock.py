"""Slot clock: advances the slot, draws the slot's behaviour uniforms, resets the per-slot flows and outcome;
opens the slot's book, whose postings the slot's last step checks at once (`ledger.step_check`).

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
        "book": s["book"].new_slot(deferred=True),  # checked once, by the slot's last step
        "outcome": ctx.empty_outcome,
    }
