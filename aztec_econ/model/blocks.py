"""The partial-state-update blocks of one slot, in order: the one place that shows what happens in a slot.

Each block has a label, a one-line description, one policy (the mechanism's `p_*`), and the state variables it writes.
State updates only copy the policy's signal into the state (`_take`): all logic lives in the mechanisms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aztec_econ.model.mechanisms.clock import p_clock
from aztec_econ.model.mechanisms.economics import p_backup_and_economics
from aztec_econ.model.mechanisms.election import p_election
from aztec_econ.model.mechanisms.l1_adversary import p_randao_and_adversary
from aztec_econ.model.mechanisms.proving import p_proving
from aztec_econ.model.mechanisms.registry import p_registry
from aztec_econ.model.mechanisms.reveal import p_reveal
from aztec_econ.model.mechanisms.rewards import p_finalization
from aztec_econ.model.mechanisms.sidecar import p_commitment

Policy = Callable[[dict[str, Any], int, Any, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Block:
    label: str
    description: str
    policy: Policy
    writes: tuple[str, ...]


BLOCKS: tuple[Block, ...] = (
    Block(
        "clock",
        "advance the slot, draw its randomness, reset per-slot flows and outcome",
        p_clock,
        ("slot", "draws", "book", "outcome"),
    ),
    Block(
        "registry",
        "register, activate, signal exit and release keys; lock and unlock stakes",
        p_registry,
        ("registry", "sequencers", "book"),
    ),
    Block(
        "randao",
        "read the RANDAO value stored `lag` L1 blocks before the slot (an attacker may have withheld that block to "
        "change it); read which of the slot's L1 blocks censoring builders build",
        p_randao_and_adversary,
        ("randao", "adversary"),
    ),
    Block(
        "proposal",
        "Fernet election: top-ranked online keys propose; the best landed proposal wins",
        p_election,
        ("outcome",),
    ),
    Block(
        "commitment",
        "Sidecar: the winner commits to a prover, who locks its bond",
        p_commitment,
        ("outcome", "book"),
    ),
    Block(
        "reveal",
        "the winner publishes the block data to DA, or the bond is at stake",
        p_reveal,
        ("outcome", "book"),
    ),
    Block(
        "proving",
        "the prover delivers the proof in time, or its bond is slashed",
        p_proving,
        ("outcome", "book"),
    ),
    Block(
        "finalization",
        "mint the block reward, split it, release the bond",
        p_finalization,
        ("outcome", "book"),
    ),
    Block(
        "backup",
        "if the happy path failed, race in backup mode or skip the slot; then the economics: settle the block's "
        "fees, burns, MEV and prover price and the L1 costs, age the mempool, update the base fee and L1 prices, "
        "take the next slot's arrivals and prepare its candidate block",
        p_backup_and_economics,
        ("outcome", "book", "economy"),
    ),
)


def _take(name: str) -> Callable[..., tuple[str, Any]]:
    def update(
        params: dict[str, Any], substep: int, history: Any, state: dict[str, Any], signal: dict[str, Any]
    ) -> tuple[str, Any]:
        return name, signal[name]

    update.__name__ = f"s_{name}"
    return update


def cadcad_blocks() -> list[dict[str, Any]]:
    """The blocks in cadCAD's partial-state-update format."""
    return [
        {
            "label": block.label,
            "description": block.description,
            # one policy key shared by every block: cadCAD then pads no block with identity policies
            "policies": {"mechanism": block.policy},
            "variables": {name: _take(name) for name in block.writes},
        }
        for block in BLOCKS
    ]
