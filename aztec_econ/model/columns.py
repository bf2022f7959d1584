"""Output columns, declared once where they are computed: name, unit, meaning and storage type.

Each mechanism that writes per-slot output declares a `Recorder`: its columns and the function that reads them from
the slot's final state. `model.blocks` lists the recorders in frame order (`FRAME_COLUMNS`); the runner's record
step is a loop over them, and docs/outputs.md is generated from the declarations (`aztec-econ docs outputs`).
Balances and supply are at the end of the slot, sequencer counts at the slot's first L1 block, flows are totals
within the slot. Units: L1 blocks of `protocol.l1_block_seconds`; tokens are the native token; L1 costs are token
equivalents of ETH.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

if TYPE_CHECKING:
    from aztec_econ.model.context import Context
    from aztec_econ.model.state import State


@dataclass(frozen=True)
class Column:
    """One output column: its name, unit ("-" when it has none), meaning (one line of Markdown) and, where the
    natural type would waste memory, the type it is stored as."""

    name: str
    unit: str
    description: str
    dtype: str | None = None


@dataclass(frozen=True)
class Recorder:
    """The per-slot output columns one part of the model declares, and how it reads them from the state."""

    columns: tuple[Column, ...]
    record: Callable[[Context, State], dict[str, NDArray[Any]]]


RUN = Column(
    "run", "-", "global Monte Carlo run index (results of a run depend only on it and the parameters)"
)
"""The first column of every output table."""
SLOT = Column("slot", "slots", "slot index, from 0")
L1_BLOCK = Column("l1_block", "L1 blocks", "first L1 block of the slot (`slot * slot_l1_blocks`)")
